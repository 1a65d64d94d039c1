/** transferFiles: copies files between any two storage backends, with a report per file. */
import { isStorageError } from '../storage/index.js'
import { TransferAbortError } from './errors.js'
import { resolveOptions, type ResolvedOptions } from './options.js'
import { planFiles } from './plan.js'
import { ProgressTracker } from './progress.js'
import { withRetries } from './retry.js'
import { decideSkip } from './skip.js'
import { copyWithStorage } from './storage-method.js'
import type { FileReport, PlannedFile, TransferOptions, TransferReport } from './types.js'

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err))
}

function summarize(files: FileReport[], started: number): TransferReport {
  const count = (o: FileReport['outcome']): number => files.filter((f) => f.outcome === o).length
  const failed = count('failed')
  return {
    ok: failed === 0,
    files,
    totals: {
      files: files.length,
      copied: count('copied'),
      skipped: count('skipped'),
      failed,
      dryRun: count('dry-run'),
      bytes: files.reduce((n, f) => n + (f.outcome === 'copied' ? f.bytes : 0), 0),
      durationMs: Date.now() - started,
    },
  }
}

async function transferOne(f: PlannedFile, o: ResolvedOptions, progress: ProgressTracker): Promise<FileReport> {
  const started = Date.now()
  const base = { source: f.source, target: f.target, bytes: f.size, method: o.method, checksum: '' } as const
  const done = (r: Omit<FileReport, keyof typeof base | 'durationMs'> & Partial<FileReport>): FileReport => ({
    ...base,
    ...r,
    durationMs: Date.now() - started,
  })
  if (f.error) {
    progress.fileDone()
    return done({ attempts: 1, outcome: 'failed', error: f.error })
  }

  let streamed = 0
  const result = await withRetries(
    async () => {
      // Bytes of an abandoned attempt no longer count as done.
      progress.addBytes(-streamed)
      streamed = 0
      o.signal?.throwIfAborted()
      const decision = await decideSkip(o.overwrite, o.source, { path: f.source, size: f.size, mtime: f.mtime }, o.target, f.target)
      if (decision.skip) return { outcome: 'skipped' as const }
      if (o.dryRun) return { outcome: 'dry-run' as const }
      const digest = await copyWithStorage(o.source, f.source, o.target, f.target, {
        verify: o.verify,
        noClobber: o.overwrite === 'never',
        signal: o.signal,
        onBytes: (n) => {
          streamed += n
          progress.addBytes(n)
        },
      })
      return { outcome: 'copied' as const, digest }
    },
    { retries: o.retries, retryDelay: o.retryDelay, signal: o.signal },
  )

  if (result.error !== undefined || !result.value) {
    progress.addBytes(-streamed)
    progress.fileDone()
    return done({ attempts: result.attempts, outcome: 'failed', error: toError(result.error) })
  }
  const v = result.value
  if (v.outcome !== 'copied') {
    progress.fileDone(f.size)
    return done({ attempts: 0, outcome: v.outcome })
  }
  progress.fileDone(0)
  if (o.deleteSource) {
    // Only reached after a verified copy (deleteSource requires verify).
    const del = await withRetries(() => o.source.rm(f.source), { retries: o.retries, retryDelay: o.retryDelay, signal: o.signal })
    if (del.error !== undefined && !isStorageError(del.error, 'ENOENT')) {
      return done({
        attempts: result.attempts,
        bytes: v.digest.bytes,
        checksum: v.digest.sha256,
        outcome: 'failed',
        error: new Error(`copied and verified, but deleting the source failed: ${toError(del.error).message}`, { cause: del.error }),
      })
    }
  }
  return done({ attempts: result.attempts, bytes: v.digest.bytes, checksum: v.digest.sha256, outcome: 'copied' })
}

/** Runs `worker` over `items` with at most `limit` at a time, stopping new work once aborted. */
async function pool<T, R>(items: readonly T[], limit: number, signal: AbortSignal | undefined, worker: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const run = async (): Promise<void> => {
    while (next < items.length && !signal?.aborted) {
      const i = next++
      out[i] = await worker(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run))
  return out
}

/**
 * Copies `files` from `source` to `target`. Per-file failures are reported, not thrown: the
 * report's `ok` is false and the file's `outcome` is 'failed' with its `error`. Throws for invalid
 * options (TypeError/RangeError, code ERR_INVALID_ARG), an unavailable method
 * (ERR_METHOD_UNAVAILABLE), and an abort (AbortError carrying the partial report).
 */
export async function transferFiles(options: TransferOptions): Promise<TransferReport> {
  const started = Date.now()
  const o = resolveOptions(options)
  try {
    o.signal?.throwIfAborted()
    const planned = await planFiles(o.source, o.patterns, o)
    const progress = new ProgressTracker(
      planned.reduce((n, f) => n + f.size, 0),
      planned.length,
      o.onProgress,
    )
    const results = await pool(planned, o.concurrency, o.signal, (f) => transferOne(f, o, progress))
    if (o.signal?.aborted) {
      const finished = results.filter((r): r is FileReport => r !== undefined)
      throw new TransferAbortError(o.signal.reason, summarize(finished, started))
    }
    return summarize(results, started)
  } catch (err) {
    if (o.signal?.aborted && !(err instanceof TransferAbortError)) throw new TransferAbortError(o.signal.reason)
    throw err
  } finally {
    await Promise.all(o.owned.map((fs) => fs.close().catch(() => undefined)))
  }
}
