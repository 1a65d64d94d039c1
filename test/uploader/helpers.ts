/** Files of random bytes, and a strategy wrapper that injects failures into chunk uploads. */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { StorageError, type ChunkedUploadStrategy } from '../../ts/storage/index.js'

export const MiB = 1 << 20

const base = mkdtempSync(join(tmpdir(), 'logferry-uploader-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))
let n = 0

/** A fresh directory under this test file's temp root. */
export function scratchDir(): string {
  return mkdtempSync(join(base, `d${++n}-`))
}

/** Writes `size` random bytes to a new file and returns its path. */
export async function randomFile(size: number, dir = scratchDir()): Promise<string> {
  const path = join(dir, `random-${size}.bin`)
  const h = await open(path, 'w')
  try {
    for (let done = 0; done < size; ) {
      const len = Math.min(4 * MiB, size - done)
      await h.write(randomBytes(len))
      done += len
    }
  } finally {
    await h.close()
  }
  return path
}

export interface FaultLog {
  /** Attempts seen per part index. */
  attempts: Map<number, number>
}

/**
 * Wraps a real strategy: before part `index`'s attempt `attempt` (1-based) reaches the server,
 * `fault(index, attempt)` may return an error to throw instead. Everything else is real.
 */
export function withFaults(inner: ChunkedUploadStrategy, fault: (index: number, attempt: number) => Error | undefined): { strategy: ChunkedUploadStrategy; log: FaultLog } {
  const log: FaultLog = { attempts: new Map() }
  const strategy: ChunkedUploadStrategy = {
    name: inner.name,
    minPartSize: inner.minPartSize,
    maxParts: inner.maxParts,
    async begin(remotePath, size) {
      const session = await inner.begin(remotePath, size)
      return {
        async uploadPart(index, data) {
          const attempt = (log.attempts.get(index) ?? 0) + 1
          log.attempts.set(index, attempt)
          const err = fault(index, attempt)
          if (err) throw err
          await session.uploadPart(index, data)
        },
        complete: (count) => session.complete(count),
        abort: () => session.abort(),
      }
    },
  }
  return { strategy, log }
}

export const transient = (what: string): StorageError => new StorageError('ETRANSIENT', { backend: 'fault', detail: `injected: ${what}` })
export const permanent = (what: string): StorageError => new StorageError('EIO', { backend: 'fault', detail: `injected: ${what}` })
