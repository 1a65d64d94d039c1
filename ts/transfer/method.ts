/** What every transfer method implements, and the per-file driver most of them share. */
import { attempt } from '../delivery/retry.js'
import type { ResolvedOptions } from './options.js'
import type { ProgressTracker } from './progress.js'
import type { TokenBucket } from './throttle.js'
import type { ConcreteMethod, PlannedFile } from './types.js'

/** A file a method copied. */
export interface CopyDone {
  /** Bytes on the target. */
  bytes: number
  /** sha256 of the bytes on the target. */
  checksum: string
}

/** One file's outcome with one method. */
export interface MethodResult {
  attempts: number
  /** Time spent on this file with this method (when the method measures it per file). */
  durationMs?: number
  done?: CopyDone
  error?: unknown
}

export interface MethodContext {
  o: ResolvedOptions
  progress: ProgressTracker
  /** The shared rate limit, when bandwidthLimit is set. */
  bucket: TokenBucket | undefined
  /** Every planned file of the transfer (some already skipped), for methods that copy directories. */
  all: readonly PlannedFile[]
  /** Called as soon as a file is copied (before the method's other files are done). */
  onCopied: (f: PlannedFile, r: MethodResult) => Promise<void>
}

export interface TransferMethodImpl {
  readonly name: ConcreteMethod
  /** Why the method cannot move files between these filesystems with these options (undefined: it can). */
  inapplicable(o: ResolvedOptions): string | undefined
  /** Checks the tools it needs are there; throws ERR_METHOD_UNAVAILABLE naming what is missing. */
  prepare(o: ResolvedOptions): void
  /** Copies the files; one result per file, in order. Never throws for a file's failure. */
  run(files: readonly PlannedFile[], ctx: MethodContext): Promise<MethodResult[]>
  /**
   * A dry run's check of what `run` would do, copying nothing (methods whose tool can check a
   * job); one result per file, an error for a file that could not be copied this way.
   */
  rehearse?(files: readonly PlannedFile[], ctx: MethodContext): Promise<MethodResult[]>
}

/** Runs `worker` over `items` with at most `limit` at a time, stopping new work once aborted. */
export async function pool<T, R>(items: readonly T[], limit: number, signal: AbortSignal | undefined, worker: (item: T) => Promise<R>): Promise<R[]> {
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
 * Copies files one by one (`concurrency` at a time). A streamed copy cannot resume, so the file
 * is the unit retried on transient errors (up to retries + 1 copies of it; docs/delivery.md,
 * "Retries"); `copy` itself must not retry. It reports progress through `addBytes`; bytes of an
 * abandoned attempt are given back.
 */
export async function perFile(
  files: readonly PlannedFile[],
  ctx: MethodContext,
  copy: (f: PlannedFile, addBytes: (n: number) => void, attempt: number) => Promise<CopyDone>,
): Promise<MethodResult[]> {
  const { o, progress } = ctx
  return pool(files, o.concurrency, o.signal, async (f) => {
    const t0 = Date.now()
    let counted = 0
    const addBytes = (n: number): void => {
      counted += n
      progress.addBytes(n)
    }
    const r = await attempt(
      async (n) => {
        progress.addBytes(-counted)
        counted = 0
        o.signal?.throwIfAborted()
        return copy(f, addBytes, n)
      },
      { retries: o.retries, retryDelay: o.retryDelay, signal: o.signal },
    )
    if (!r.ok) {
      progress.addBytes(-counted)
      return { attempts: r.attempts, error: r.error, durationMs: Date.now() - t0 }
    }
    // Whatever the method streamed, the file now counts as its source size.
    progress.addBytes(f.size - counted)
    const result = { attempts: r.attempts, done: r.value, durationMs: Date.now() - t0 }
    await ctx.onCopied(f, result)
    return result
  })
}
