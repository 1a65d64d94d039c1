/**
 * The logferry-sha256 object metadata on S3 (moto), GCS (fake-gcs-server) and Azure (Azurite):
 * stored with each copy, read back by stat, used by ifChanged (content decides, not mtime) and by
 * verify where the backend has no comparable checksum (S3 multipart ETag, Azure block blob).
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { AzureBlobFileSystem, GcsFileSystem, S3FileSystem, filesystem, type FileSystem } from '../../ts/storage/index.js'
import { transferFiles } from '../../ts/transfer/index.js'
import { azureOptions, gcsOptions, s3Options } from '../servers/filesystems.js'
import { suiteServers } from '../servers/suite-servers.js'
import { inCI } from '../servers/ci.js'

const servers = await suiteServers(['s3', 'gcs', 'azure'])
const MiB = 1 << 20
const tmp = mkdtempSync(join(tmpdir(), 'logferry-meta-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const run = `meta-${Date.now().toString(36)}`
let n = 0
const unique = (): string => `${run}/${++n}`

/** Counts reads of the target's content (createReadStream, which readFile and checksum use too). */
function counting(inner: FileSystem): { fs: FileSystem; reads: () => number } {
  let reads = 0
  const fs = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'createReadStream') {
        return (...args: Parameters<FileSystem['createReadStream']>): Readable => {
          reads++
          return target.createReadStream(...args)
        }
      }
      const v = Reflect.get(target, prop, receiver) as unknown
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    },
  })
  return { fs, reads: () => reads }
}

const backends: { name: 's3' | 'gcs' | 'azure'; make: () => FileSystem; native: boolean }[] = [
  {
    name: 's3',
    // 5 MiB parts: the 6 MiB file is a multipart upload whose ETag is not an MD5.
    make: () => new S3FileSystem({ ...s3Options(servers, unique()), partSize: 5 * MiB }),
    native: false,
  },
  {
    name: 'gcs',
    make: () => new GcsFileSystem(gcsOptions(servers, unique())),
    native: true,
  },
  {
    name: 'azure',
    // 1 MiB blocks: the 6 MiB file is a committed block list without a Content-MD5.
    make: () => new AzureBlobFileSystem({ ...azureOptions(servers, unique()), blockSize: MiB }),
    native: false,
  },
]

const opened: FileSystem[] = []
afterAll(async () => {
  await Promise.all(opened.map((f) => f.close().catch(() => undefined)))
})

for (const b of backends) {
  const skip = !inCI && servers[b.name] === undefined
  describe.skipIf(skip)(`logferry-sha256 metadata on ${b.name}`, () => {
    it('is stored with each object and read back by stat', async () => {
      const src = join(tmp, `${b.name}-src-${++n}`)
      const files = new Map([['small.log', randomBytes(1000)], ['big.bin', randomBytes(6 * MiB)]])
      const local = filesystem(`file://${src}`)
      for (const [p, d] of files) await local.writeFile(p, d)
      const target = b.make()
      opened.push(target)
      const watched = counting(target)
      const r = await transferFiles({ source: src, files: '*', target: watched.fs, method: 'storage' })
      expect(r.totals).toMatchObject({ copied: 2, failed: 0 })
      for (const [p, d] of files) {
        const info = await target.stat(p)
        expect(info.metadata?.['logferry-sha256'], p).toBe(sha256(d))
        expect(r.files.find((f) => f.target === p)?.checksum).toBe(sha256(d))
      }
      // verify read nothing back: native MD5 (GCS, S3 single part) or the metadata did the job.
      expect(watched.reads()).toBe(0)
      expect(sha256(await target.readFile('big.bin'))).toBe(sha256(files.get('big.bin') as Buffer))
    })

    it('ifChanged compares the source sha256 with the metadata, whatever the mtimes say', async () => {
      const src = join(tmp, `${b.name}-src-${++n}`)
      const local = filesystem(`file://${src}`)
      const data = randomBytes(6 * MiB)
      await local.writeFile('f.bin', data)
      const past = new Date(Date.now() - 3_600_000)
      utimesSync(join(src, 'f.bin'), past, past)
      const target = b.make()
      opened.push(target)
      expect((await transferFiles({ source: src, files: '*', target })).files[0]).toMatchObject({ outcome: 'copied' })

      // Same content, source now newer than the target: mtime alone would copy again.
      const future = new Date(Date.now() + 3_600_000)
      utimesSync(join(src, 'f.bin'), future, future)
      expect((await transferFiles({ source: src, files: '*', target })).files[0]).toMatchObject({ outcome: 'skipped' })

      // Same size, different content, source older than the target: mtime alone would skip.
      const changed = Buffer.from(data)
      changed[12345] = (changed[12345] as number) ^ 0xff
      writeFileSync(join(src, 'f.bin'), changed)
      utimesSync(join(src, 'f.bin'), past, past)
      const third = await transferFiles({ source: src, files: '*', target })
      expect(third.files[0]).toMatchObject({ outcome: 'copied', checksum: sha256(changed) })
      expect(sha256(await target.readFile('f.bin'))).toBe(sha256(changed))
      expect((await target.stat('f.bin')).metadata?.['logferry-sha256']).toBe(sha256(changed))
    })
  })
}

describe.skipIf(!inCI && servers.s3 === undefined)('compressed copies on s3', () => {
  it('store logferry-source-sha256; ifChanged compares it with the source', async () => {
    const src = join(tmp, `zst-src-${++n}`)
    const local = filesystem(`file://${src}`)
    const data = Buffer.from('a log line that compresses well\n'.repeat(50_000))
    await local.writeFile('app.log', data)
    const target = backends[0]?.make() as FileSystem
    opened.push(target)
    const r = await transferFiles({ source: src, files: '*', target, compress: 'zstd' })
    expect(r.files[0]).toMatchObject({ target: 'app.log.zst', outcome: 'copied', sourceBytes: data.length })
    const info = await target.stat('app.log.zst')
    expect(info.metadata?.['logferry-source-sha256']).toBe(sha256(data))
    expect(info.metadata?.['logferry-sha256']).toBeUndefined()
    expect(r.files[0]?.checksum).toBe(sha256(await target.readFile('app.log.zst')))

    const future = new Date(Date.now() + 3_600_000)
    utimesSync(join(src, 'app.log'), future, future)
    expect((await transferFiles({ source: src, files: '*', target, compress: 'zstd' })).files[0]).toMatchObject({ outcome: 'skipped' })
    await local.writeFile('app.log', Buffer.concat([data, Buffer.from('one more\n')]))
    expect((await transferFiles({ source: src, files: '*', target, compress: 'zstd' })).files[0]).toMatchObject({ outcome: 'copied' })
  })
})
