/**
 * `mirror`: the target files that are not among the transfer's files (absent at the source) are
 * deleted. They are listed before the copy (a method like distcp -delete may remove them itself
 * while copying) and settled after it: deleted through the target filesystem when still there,
 * each reported. Nothing is deleted when a copy failed, so a broken run never leaves the target
 * with less than it had.
 */
import { attempt } from '../delivery/retry.js'
import { isStorageError, type FileInfo } from '../storage/index.js'
import { isTempName, normalizePath } from '../storage/path.js'
import { TransferError } from './errors.js'
import { pool } from './method.js'
import type { ResolvedOptions } from './options.js'
import type { ConcreteMethod, FileReport } from './types.js'

export interface MirrorPlan {
  /** Target files absent at the source. */
  extras: FileInfo[]
  /** The target listing failed: nothing can be mirrored (reported as one failed entry). */
  error?: unknown
}

/** Lists the target root (retried) for the files `mirror` removes: all but `keep` (the planned targets). */
export async function planMirror(o: ResolvedOptions, keep: readonly string[]): Promise<MirrorPlan> {
  const planned = new Set(keep.map(normalizePath))
  const listed = await attempt(() => o.target.ls('', { recursive: true }), { retries: o.retries, retryDelay: o.retryDelay, signal: o.signal })
  if (!listed.ok) return isStorageError(listed.error, 'ENOENT') ? { extras: [] } : { extras: [], error: listed.error }
  return { extras: listed.value.filter((e) => e.kind === 'file' && !isTempName(e.path) && !planned.has(normalizePath(e.path))) }
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err))
}

/**
 * Deletes the extras (or reports what a dry run would delete) and reports each. `method` is the
 * one the transfer copied with; `notCopied` the files that failed (then nothing is deleted).
 */
export async function settleMirror(plan: MirrorPlan, o: ResolvedOptions, method: ConcreteMethod, notCopied: number): Promise<FileReport[]> {
  const entry = (path: string, bytes: number): Omit<FileReport, 'outcome' | 'attempts' | 'durationMs'> => ({
    source: path,
    target: path,
    bytes,
    sourceBytes: 0,
    method,
    methodsTried: [],
    checksum: '',
    mirrorDelete: true,
  })
  if (plan.error !== undefined) {
    const error = new TransferError('ERR_MIRROR_INCOMPLETE', `mirror: listing the target failed, nothing deleted: ${toError(plan.error).message}`, { cause: plan.error })
    return [{ ...entry('', 0), outcome: 'failed', attempts: 1, durationMs: 0, error }]
  }
  return pool(plan.extras, o.concurrency, o.signal, async (e): Promise<FileReport> => {
    const t0 = Date.now()
    if (o.dryRun) return { ...entry(e.path, e.size), outcome: 'dry-run', attempts: 0, durationMs: 0 }
    if (notCopied > 0) {
      const error = new TransferError('ERR_MIRROR_INCOMPLETE', `mirror: not deleted, ${notCopied} file(s) failed to copy (a mirror deletes only after a complete copy)`)
      return { ...entry(e.path, e.size), outcome: 'failed', attempts: 0, durationMs: 0, error }
    }
    const r = await attempt(
      async () => {
        await o.target.rm(e.path).catch((err: unknown) => {
          // Already gone: the method (distcp -delete) removed it.
          if (!isStorageError(err, 'ENOENT')) throw err
        })
      },
      { retries: o.retries, retryDelay: o.retryDelay, signal: o.signal },
    )
    const done = { attempts: r.attempts, durationMs: Date.now() - t0 }
    return r.ok ? { ...entry(e.path, e.size), ...done, outcome: 'deleted' } : { ...entry(e.path, e.size), ...done, outcome: 'failed', error: toError(r.error) }
  })
}
