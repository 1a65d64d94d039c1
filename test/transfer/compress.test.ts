/**
 * compress: 'gzip' | 'zstd' with the storage method. The target is named with .gz / .zst, holds
 * the compressed bytes (decompressed here with independent decoders: node:zlib for gzip, the
 * `zstd` command-line tool for zstd), and the report records both sizes.
 */
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { filesystem } from '../../ts/storage/index.js'
import { ZstdCompressStream, transferFiles } from '../../ts/transfer/index.js'

const tmp = mkdtempSync(join(tmpdir(), 'logferry-compress-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** Compressible log-like text plus incompressible noise, so both code paths see real work. */
function logData(lines: number): Buffer {
  const out: string[] = []
  for (let i = 0; i < lines; i++) out.push(`2026-01-01T00:00:${String(i % 60).padStart(2, '0')}Z INFO request ${i} took ${i % 97} ms ${randomBytes(4).toString('hex')}`)
  return Buffer.from(`${out.join('\n')}\n`)
}

function unzstd(data: Buffer): Buffer {
  const f = join(tmp, `x-${Math.random().toString(36).slice(2)}.zst`)
  writeFileSync(f, data)
  return execFileSync('zstd', ['-d', '-c', '-q', f], { maxBuffer: 1 << 28 })
}

describe('compress', () => {
  for (const kind of ['gzip', 'zstd'] as const) {
    it(`${kind}: round trip through a local target, names and sizes reported`, async () => {
      const src = filesystem(`file://${mkdtempSync(join(tmp, 'src-'))}`)
      const dst = filesystem(`file://${mkdtempSync(join(tmp, 'dst-'))}`)
      const files = new Map([
        ['app/a.log', logData(20_000)],
        ['b.log', logData(10)],
        ['empty.log', Buffer.alloc(0)],
      ])
      for (const [p, d] of files) await src.writeFile(p, d)
      const ext = kind === 'gzip' ? '.gz' : '.zst'
      const r = await transferFiles({ source: src, files: ['app', 'b.log', 'empty.log'], target: dst, compress: kind })
      expect(r.ok).toBe(true)
      expect(r.files.map((f) => f.target).sort()).toEqual(['app/a.log', 'b.log', 'empty.log'].map((p) => p + ext).sort())
      for (const [p, data] of files) {
        const stored = await dst.readFile(p + ext)
        const plain = kind === 'gzip' ? gunzipSync(stored) : unzstd(stored)
        expect(sha256(plain), p).toBe(sha256(data))
        const rep = r.files.find((f) => f.source === p)
        expect(rep).toMatchObject({ outcome: 'copied', method: 'storage', sourceBytes: data.length, bytes: stored.length, checksum: sha256(stored) })
      }
      const big = r.files.find((f) => f.source === 'app/a.log')
      expect(big?.bytes).toBeLessThan((big?.sourceBytes ?? 0) / 2)

      // ifChanged on a compressed target: the unchanged sources are skipped the second time.
      const again = await transferFiles({ source: src, files: ['app', 'b.log', 'empty.log'], target: dst, compress: kind })
      expect(again.totals).toMatchObject({ skipped: 3, copied: 0 })
    })
  }

  it('ZstdCompressStream writes a standard zstd frame', async () => {
    const data = logData(5000)
    const z = new ZstdCompressStream(19)
    const out: Buffer[] = []
    z.on('data', (c: Buffer) => out.push(c))
    const done = new Promise((res) => z.on('end', res))
    for (let i = 0; i < data.length; i += 7777) z.write(data.subarray(i, i + 7777))
    z.end()
    await done
    expect(sha256(unzstd(Buffer.concat(out)))).toBe(sha256(data))
  })

  it('rejects compress with a method that cannot compress, and unknown codecs', async () => {
    const src = filesystem(`file://${mkdtempSync(join(tmp, 'src-'))}`)
    await src.writeFile('a.log', 'a')
    const target = filesystem(`file://${mkdtempSync(join(tmp, 'dst-'))}`)
    await expect(transferFiles({ source: src, files: '*', target, compress: 'gzip', method: 'distcp' })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG',
      message: expect.stringContaining("'distcp'"),
    })
    await expect(transferFiles({ source: src, files: '*', target, compress: 'lz4' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
  })
})
