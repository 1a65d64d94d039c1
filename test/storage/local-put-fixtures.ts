/** What the writeLocalFile suites copy and how they see the source being read. */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { LocalFileSystem, type FileSystem, type PositionedReader } from '../../ts/storage/index.js'

/**
 * Twenty small files (one of 100 kB, one of 1 byte, an empty one, 17 of about 1 kB) written in
 * a fresh directory under `parent`. Twenty, because planning lists a target directory that
 * receives 16 or more instead of a stat each.
 */
export function smallFiles(parent: string): { src: string; files: Map<string, Buffer> } {
  const src = mkdtempSync(join(parent, 'small-'))
  const files = new Map<string, Buffer>([
    ['a.log', randomBytes(100_000)],
    ['b.log', randomBytes(1)],
    ['empty.log', Buffer.alloc(0)],
  ])
  for (let i = 0; i < 17; i++) files.set(`f${i}.log`, randomBytes(1000 + i))
  for (const [p, d] of files) writeFileSync(join(src, p), d)
  return { src, files }
}

export interface CountingSource {
  fs: FileSystem
  /** Read streams opened. */
  streams: () => number
  /** Checksum passes. */
  checksums: () => number
  /** Positioned readers opened. */
  positioned: () => number
  /** Reads through positioned readers. */
  partReads: () => number
}

/** A local filesystem that counts what reads its files; `onChecksum` runs before each checksum pass. */
export function countingSource(root: string, hooks: { onChecksum?: () => Promise<void> } = {}): CountingSource {
  const inner = new LocalFileSystem({ root })
  let streams = 0
  let checksums = 0
  let positioned = 0
  let partReads = 0
  const fs = new Proxy(inner, {
    get(t, key, receiver) {
      if (key === 'createReadStream') return (...a: Parameters<FileSystem['createReadStream']>) => (streams++, t.createReadStream(...a))
      if (key === 'checksum')
        return async (...a: Parameters<FileSystem['checksum']>) => {
          checksums++
          await hooks.onChecksum?.()
          return t.checksum(...a)
        }
      if (key === 'openPositioned')
        return async (p: string): Promise<PositionedReader> => {
          positioned++
          const r = await t.openPositioned(p)
          return { read: (...a) => (partReads++, r.read(...a)), size: () => r.size(), close: () => r.close() }
        }
      const v: unknown = Reflect.get(t, key, receiver)
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v
    },
  })
  return { fs, streams: () => streams, checksums: () => checksums, positioned: () => positioned, partReads: () => partReads }
}
