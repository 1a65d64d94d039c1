/**
 * A storage source (any URL or path the storage layer takes) mirrored with transferFiles:
 * `overwrite: 'ifChanged'`, so a sync copies only what is new or changed, each copy verified.
 * Also the SFTP fallback of an rsync source.
 */
import type { FileSystemSpec } from '../../storage/index.js'
import type { SyncMethod } from '../types.js'
import type { FetchResult } from './fetcher.js'

export interface StorageFetchOptions {
  source: FileSystemSpec
  method: SyncMethod
  retries: number
  retryDelay: number
  signal: AbortSignal
}

export async function fetchWithStorage(dest: string, o: StorageFetchOptions): Promise<FetchResult> {
  // Loaded at first use: the storage backends stay out of the service until a source needs them.
  const { transferFiles } = await import('../../transfer/index.js')
  const report = await transferFiles({
    files: { source: o.source, paths: '**' },
    target: dest,
    method: 'storage',
    overwrite: 'ifChanged',
    preserveStructure: true,
    retries: o.retries,
    retryDelay: o.retryDelay,
    signal: o.signal,
  })
  const copied = report.files.filter((f) => f.outcome === 'copied')
  const failed = report.files.filter((f) => f.outcome === 'failed')
  return {
    method: o.method,
    changed: copied.map((f) => f.target),
    filesTransferred: copied.length,
    bytesTransferred: copied.reduce((s, f) => s + f.bytes, 0),
    filesDeleted: 0,
    warnings: [],
    attempts: Math.max(1, ...report.files.map((f) => f.attempts)),
    failures: failed.map((f) => ({ path: f.source, error: f.error })),
  }
}
