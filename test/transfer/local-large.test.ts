/**
 * Large local files to local disk: the native pass reads, hashes and writes them on three
 * threads and past the page cache where it can (crates/node/src/chunk_pipeline.rs,
 * direct_io.rs). Same bytes, same sha256 in the report, the same verification (a byte flipped
 * in the staged copy on disk is read back from the disk and fails ERR_VERIFY_FAILED, with
 * nothing under the final name), for sizes around the 2 MiB chunks and the 4 KiB alignment.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { LocalFileSystem } from '../../ts/storage/index.js'
import { transferFiles } from '../../ts/transfer/index.js'
import { flipping, type FlipLog } from '../delivery/flip-faults.js'

const base = mkdtempSync(join(tmpdir(), 'logferry-large-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))
let dirs = 0
const tempDir = (): string => mkdtempSync(join(base, `d${++dirs}-`))
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const MiB = 1 << 20

/** A directory with one file of each size (random bytes), named by its size. */
function sources(sizes: number[]): { root: string; content: Map<string, Buffer> } {
  const root = tempDir()
  const content = new Map<string, Buffer>()
  for (const size of sizes) {
    const data = randomBytes(size)
    writeFileSync(join(root, `f${size}.bin`), data)
    content.set(`f${size}.bin`, data)
  }
  return { root, content }
}

describe('transferFiles: large local files to local disk', () => {
  it('copies sizes around the chunk and block edges byte for byte, with the sha256 of what was read', async () => {
    // 8 MiB is where the pipeline starts; 4 KiB-unaligned ends get a buffered tail.
    const { root, content } = sources([8 * MiB, 8 * MiB + 1, 10 * MiB - 4096, 13 * MiB + 1234])
    const dst = tempDir()
    const r = await transferFiles({ source: `file://${root}`, files: '*.bin', target: new LocalFileSystem({ root: dst }) })
    expect(r.ok).toBe(true)
    for (const f of r.files) {
      const want = content.get(f.target) as Buffer
      expect(f).toMatchObject({ outcome: 'copied', bytes: want.length, checksum: sha256(want) })
      expect(readFileSync(join(dst, f.target)).equals(want)).toBe(true)
    }
    expect(readdirSync(dst).sort()).toEqual([...content.keys()].sort())
  })

  it('a copy the page cache does not hold (written past it) is read back and copied again intact', async () => {
    const { root, content } = sources([12 * MiB + 7])
    const first = tempDir()
    const target = new LocalFileSystem({ root: first })
    expect((await transferFiles({ source: `file://${root}`, files: '*.bin', target })).ok).toBe(true)
    const [name, data] = [...content][0] as [string, Buffer]
    // The checksum of the fresh copy and a copy from it read the bytes that reached the disk.
    expect((await target.checksum(name, 'sha256')).value).toBe(sha256(data))
    const second = tempDir()
    const r = await transferFiles({ source: `file://${first}`, files: '*.bin', target: new LocalFileSystem({ root: second }) })
    expect(r.files[0]).toMatchObject({ outcome: 'copied', checksum: sha256(data) })
    expect(readFileSync(join(second, name)).equals(data)).toBe(true)
  })

  it('a byte flipped in the staged copy fails ERR_VERIFY_FAILED and nothing is left under the final name', async () => {
    const { root } = sources([9 * MiB + 5])
    const dst = tempDir()
    const log: FlipLog = []
    // Past the first chunk and off any block edge: a byte in the middle of an O_DIRECT write.
    const target = flipping(new LocalFileSystem({ root: dst }), log, { at: 5 * MiB + 4097 })
    const r = await transferFiles({ source: `file://${root}`, files: '*.bin', target, retries: 1, retryDelay: 10 })
    expect(r.ok).toBe(false)
    expect(r.files[0]).toMatchObject({ outcome: 'failed', error: { code: 'ERR_VERIFY_FAILED' } })
    expect(log.length).toBeGreaterThan(0)
    // Neither the final name nor a temp name is left.
    expect(readdirSync(dst)).toEqual([])
  })
})
