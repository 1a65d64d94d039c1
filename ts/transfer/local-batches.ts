/**
 * The storage method's many-small-files path: when the source is on this machine and the target
 * writes local files in batches (copy-file.ts localBatchCopier), small files go in batches (one
 * native copy pass and one verify-and-publish pass per batch, `concurrency` batches at a time),
 * so a file costs no promise chain of its own. Everything else, and a file whose batch copy
 * failed transiently (its remaining retries), goes through perFile.
 */
import { localBatchCopier, type CopyFileResult } from '../delivery/copy-file.js'
import { isRetryable } from '../delivery/retry.js'
import { perFile, pool, type CopyDone, type MethodContext, type MethodResult } from './method.js'
import type { PlannedFile } from './types.js'

/** Largest file copied in a batch: larger ones are worth a native call (and a pool thread) each. */
export const BATCH_FILE_MAX = 1 << 20
/** Fewer small files than this are copied one by one (in parallel), as a batch saves nothing. */
export const BATCH_MIN_FILES = 16
/** Most files and bytes in one batch (a batch is one work item on one pool thread). */
const BATCH_MAX_FILES = 256
const BATCH_MAX_BYTES = 16 << 20

type Copy = (f: PlannedFile, addBytes: (n: number) => void, attempt: number) => Promise<CopyDone>

/** perFile(files, ctx, copy), with the small files batched where source and target allow. */
export async function inBatches(files: readonly PlannedFile[], ctx: MethodContext, copy: Copy): Promise<MethodResult[]> {
  const { o } = ctx
  const copier = localBatchCopier(o.source, o.target, { verify: o.verify, noClobber: o.overwrite === 'never', compress: o.compress, bucket: ctx.bucket, stampSha256: true })
  const small = files.filter((f) => f.error === undefined && f.size <= BATCH_FILE_MAX)
  if (!copier || small.length < BATCH_MIN_FILES) return perFile(files, ctx, copy)
  const results = new Map<PlannedFile, MethodResult>()
  const again: PlannedFile[] = []
  // With 'ifChanged', a file not known absent was stat'ed and found, and not skipped: its target
  // is replaced without a link tried first (failing EEXIST for each such file).
  const exists = (f: PlannedFile): boolean => o.overwrite === 'ifChanged' && f.targetAbsent !== true
  await pool(batchesOf(small, o.concurrency), o.concurrency, o.signal, async (batch) => {
    const t0 = Date.now()
    let outcomes: (CopyFileResult | { error: unknown })[]
    try {
      outcomes = await copier(batch.map((f) => ({ srcPath: f.source, dstPath: f.target, targetExists: exists(f) })))
    } catch (err) {
      // The batch as a whole failed (nothing was published by it): each file on its own.
      outcomes = batch.map(() => ({ error: err }))
    }
    const durationMs = Date.now() - t0
    for (const [i, f] of batch.entries()) {
      const r = outcomes[i] as CopyFileResult | { error: unknown }
      if ('error' in r) {
        if (isRetryable(r.error) && o.retries > 0 && !o.signal?.aborted) again.push(f)
        else results.set(f, { attempts: 1, error: r.error, durationMs })
        continue
      }
      ctx.progress.addBytes(f.size)
      const done = { attempts: 1, done: { bytes: r.target.bytes, checksum: r.target.sha256 ?? '' }, durationMs }
      results.set(f, done)
      await ctx.onCopied(f, done)
    }
  })
  // A transient failure: the file's remaining tries, one by one (it was tried once already, and
  // its target may have been written by then).
  for (const f of again) f.targetAbsent = false
  const retried = await perFile(again, { ...ctx, o: { ...o, retries: o.retries - 1 } }, copy)
  again.forEach((f, i) => {
    const r = retried[i]
    if (r !== undefined) results.set(f, { ...r, attempts: r.attempts + 1 })
  })
  const batched = new Set(small)
  const rest = files.filter((f) => !batched.has(f))
  const copied = await perFile(rest, ctx, copy)
  rest.forEach((f, i) => {
    const r = copied[i]
    if (r !== undefined) results.set(f, r)
  })
  // Files left out by an abort have no result, as with perFile.
  return files.map((f) => results.get(f)) as MethodResult[]
}

/** Batches of at most BATCH_MAX_FILES / BATCH_MAX_BYTES, and at least `lanes` of them when there are enough files. */
function batchesOf(files: readonly PlannedFile[], lanes: number): PlannedFile[][] {
  const per = Math.max(1, Math.min(BATCH_MAX_FILES, Math.ceil(files.length / Math.max(1, lanes))))
  const out: PlannedFile[][] = []
  let cur: PlannedFile[] = []
  let bytes = 0
  for (const f of files) {
    if (cur.length > 0 && (cur.length >= per || bytes + f.size > BATCH_MAX_BYTES)) {
      out.push(cur)
      cur = []
      bytes = 0
    }
    cur.push(f)
    bytes += f.size
  }
  if (cur.length > 0) out.push(cur)
  return out
}
