/**
 * Local files to S3 (moto) with one read of the source: S3FileSystem.writeLocalFile sends a small
 * file as one PUT (read once, hashed on the libuv pool, Content-MD5 + UNSIGNED-PAYLOAD, the
 * `logferry-sha256` stamp from that same read) and a larger one hashed first and streamed in one
 * PUT; a chunked copy reads and hashes its first parts while the stamp's pass over the file runs.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { copyFile } from '../../ts/delivery/copy-file.js'
import { S3FileSystem, uploadFile } from '../../ts/storage/index.js'
import { transferFiles } from '../../ts/transfer/index.js'
import { s3Options } from '../servers/filesystems.js'
import { suiteServers } from '../servers/suite-servers.js'
import { inCI } from '../servers/ci.js'
import { closedAfterAll } from '../closed-after-all.js'
import { countingSource, smallFiles } from './local-put-fixtures.js'

const servers = await suiteServers(['s3'])
const MiB = 1 << 20
const tmp = mkdtempSync(join(tmpdir(), 'logferry-s3put-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
const hash = (algo: string, b: Uint8Array): string => createHash(algo).update(b).digest('hex')
const run = `s3put-${Date.now().toString(36)}`
let n = 0
const keep = closedAfterAll()
const s3 = (partSize?: number): S3FileSystem => keep(new S3FileSystem({ ...s3Options(servers, `${run}/${++n}`), ...(partSize ? { partSize } : {}) }))

/** The HTTP requests the client sends (method, path, the headers that matter here). */
function recordRequests(fs: S3FileSystem): { method: string; path: string; md5?: string; payload?: string }[] {
  const seen: { method: string; path: string; md5?: string; payload?: string }[] = []
  fs.client.middlewareStack.add(
    (next) => async (args) => {
      const r = args.request as { method: string; path: string; headers: Record<string, string> }
      seen.push({ method: r.method, path: r.path, md5: r.headers['content-md5'], payload: r.headers['x-amz-content-sha256'] })
      return next(args)
    },
    { step: 'finalizeRequest', name: 'testRecordRequests', priority: 'low' },
  )
  return seen
}

describe.skipIf(!inCI && servers.s3 === undefined)('S3 writeLocalFile', () => {
  it('small files: one PUT each with Content-MD5 and an unsigned payload, the source read once, stamped with its sha256', async () => {
    const { src, files } = smallFiles(tmp)
    const target = s3()
    const requests = recordRequests(target)
    const source = countingSource(src)
    const r = await transferFiles({ source: source.fs, files: '*', target, method: 'storage' })
    expect(r.totals).toMatchObject({ copied: 20, failed: 0 })
    const during = [...requests]
    expect(source.streams()).toBe(0)
    expect(source.checksums()).toBe(0)
    const puts = during.filter((q) => q.method === 'PUT')
    expect(puts).toHaveLength(20)
    for (const [p, d] of files) {
      const put = puts.find((q) => q.path.endsWith(`/${p}`))
      expect(put?.md5, p).toBe(createHash('md5').update(d).digest('base64'))
      expect(put?.payload, p).toBe('UNSIGNED-PAYLOAD')
      expect(r.files.find((f) => f.target === p)?.checksum).toBe(hash('sha256', d))
      const info = await target.stat(p)
      expect(info).toMatchObject({ size: d.length, md5: hash('md5', d) })
      expect(info.metadata?.['logferry-sha256']).toBe(hash('sha256', d))
    }
    // No request besides the listing and the PUTs: the PUT's ETag verified each copy.
    expect(during.filter((q) => q.method !== 'PUT').map((q) => q.method)).toEqual(['GET'])
  })

  it('a file larger than partSize is hashed, then streamed as one PUT whose ETag is its MD5', async () => {
    const src = mkdtempSync(join(tmp, 'mid-'))
    const data = randomBytes(7 * MiB + 5)
    writeFileSync(join(src, 'mid.bin'), data)
    const target = s3(5 * MiB)
    const requests = recordRequests(target)
    const r = await uploadFile(target, join(src, 'mid.bin'), 'mid.bin', { chunkSize: 16 * MiB })
    expect(r).toMatchObject({ method: 'put', parts: 1, size: data.length })
    expect(requests.filter((q) => q.method === 'PUT')).toEqual([expect.objectContaining({ md5: createHash('md5').update(data).digest('base64'), payload: 'UNSIGNED-PAYLOAD' })])
    expect(await target.stat('mid.bin')).toMatchObject({ size: data.length, etag: hash('md5', data), md5: hash('md5', data) })
    expect(hash('sha256', await target.readFile('mid.bin'))).toBe(hash('sha256', data))
  })

  it('a missing source file is the local ENOENT, and nothing is written', async () => {
    const target = s3()
    const err = await target.writeLocalFile(join(tmp, 'no-such-file'), 'x.log', { checksums: ['sha256'] }).catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'StorageError', code: 'ENOENT', backend: 'file' })
    expect(await target.exists('x.log')).toBe(false)
  })

  it('a chunked copy reads and hashes its first parts while the stamp pass runs, and stamps the whole file', async () => {
    const src = mkdtempSync(join(tmp, 'big-'))
    const data = randomBytes(12 * MiB + 7)
    writeFileSync(join(src, 'big.bin'), data)
    let readsWhenStamped = -1
    // The stamp's pass holds until a part was read (or 10 s): a copy that waited for the stamp
    // before reading any part would read none by then.
    const source = countingSource(src, {
      onChecksum: async () => {
        const until = Date.now() + 10_000
        while (source.partReads() === 0 && Date.now() < until) await new Promise((res) => setTimeout(res, 10))
        readsWhenStamped = source.partReads()
      },
    })
    const target = s3()
    const requests = recordRequests(target)
    const r = await copyFile(source.fs, 'big.bin', target, 'big.bin', { stampSha256: true, sha256: true, chunkSize: 5 * MiB, concurrency: 2 })
    expect(readsWhenStamped).toBeGreaterThan(0)
    expect(r).toMatchObject({ method: 's3-multipart', parts: 3, source: { sha256: hash('sha256', data) } })
    const info = await target.stat('big.bin')
    expect(info.metadata?.['logferry-sha256']).toBe(hash('sha256', data))
    expect(info.md5OfParts).toMatch(/-3$/)
    // The parts went up only after the session (which carries the stamp) was begun.
    const create = requests.findIndex((q) => q.method === 'POST' && q.path.endsWith('/big.bin'))
    const firstPart = requests.findIndex((q) => q.method === 'PUT')
    expect(create).toBeGreaterThanOrEqual(0)
    expect(firstPart).toBeGreaterThan(create)
    expect(hash('sha256', await target.readFile('big.bin'))).toBe(hash('sha256', data))
  })
})
