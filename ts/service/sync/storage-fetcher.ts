/**
 * A storage source (any URL or path the storage layer takes) mirrored with transferFiles:
 * `overwrite: 'ifChanged'`, so a sync copies only what is new or changed, each copy verified.
 * Also the SFTP fallback of an rsync source.
 *
 * The source is listed once, then copied in batches: transferFiles keeps a state and a report
 * per file until it returns, and over 10,000 files that live set (promoted to V8's old space)
 * was most of the first sync's memory peak; a batch's objects die with the batch.
 * Each copy gets the source file's mtime, as `rsync -a` gives it: the mirror's times are the
 * logs' times (listings by date, retention), not the copy's, and an unchanged file then
 * compares equal on the next sync.
 */
import { utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { retry } from '../../delivery/retry.js'
import type { FileInfo, FileSystemSpec } from '../../storage/index.js'
import type { SyncMethod } from '../types.js'
import type { FetchResult } from './fetcher.js'

export interface StorageFetchOptions {
  source: FileSystemSpec
  method: SyncMethod
  retries: number
  retryDelay: number
  signal: AbortSignal
  /** Paths not fetched (retention compressed or deleted them). */
  excluded?: ReadonlySet<string>
  /** Files per transferFiles call (default 1000). */
  batchSize?: number
}

export async function fetchWithStorage(dest: string, o: StorageFetchOptions): Promise<FetchResult> {
  // Loaded at first use: the storage backends stay out of the service until a source needs them.
  const [{ transferFiles }, { filesystem }, { expandPattern }] = await Promise.all([import('../../transfer/index.js'), import('../../storage/index.js'), import('../../storage/glob.js')])
  const fs = filesystem(o.source)
  const out: FetchResult = { method: o.method, changed: [], filesTransferred: 0, bytesTransferred: 0, filesDeleted: 0, warnings: [], attempts: 1, failures: [] }
  try {
    const call = <T>(request: () => Promise<T>): Promise<T> => retry(request, { retries: o.retries, retryDelay: o.retryDelay, signal: o.signal }).then((r) => r.value)
    const listed = await expandPattern(fs, '**', { call })
    const files: FileInfo[] = o.excluded === undefined || o.excluded.size === 0 ? listed.files : listed.files.filter((f) => !o.excluded?.has(f.path))
    const batch = o.batchSize ?? 1000
    for (let i = 0; i < files.length; i += batch) {
      o.signal.throwIfAborted()
      const part = files.slice(i, i + batch)
      const mtimes = new Map(part.map((f) => [f.path, f.mtime]))
      const report = await transferFiles({
        files: { source: fs, planned: part.map((f) => ({ path: f.path, target: f.path, size: f.size, mtime: f.mtime })) },
        target: dest,
        method: 'storage',
        overwrite: 'ifChanged',
        preserveStructure: true,
        retries: o.retries,
        retryDelay: o.retryDelay,
        signal: o.signal,
      })
      for (const f of report.files) {
        out.attempts = Math.max(out.attempts, f.attempts)
        if (f.outcome === 'failed') {
          out.failures?.push({ path: f.source, error: f.error })
          continue
        }
        if (f.outcome !== 'copied') continue
        const mtime = mtimes.get(f.source)
        if (mtime !== undefined) await utimes(join(dest, ...f.target.split('/')), mtime, mtime)
        out.changed.push(f.target)
        out.filesTransferred++
        out.bytesTransferred += f.bytes
      }
    }
  } finally {
    await fs.close().catch(() => undefined)
  }
  return out
}
