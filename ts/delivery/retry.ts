/**
 * The one retry helper: every retried operation in logferry (a request, a chunk, a file copy)
 * goes through `retry`/`attempt`, at exactly one level per operation (docs/delivery.md, "Retries").
 * Transient failures are retried with exponential backoff and full jitter; anything else fails
 * on the first attempt.
 */
import { isStorageError, StorageError } from '../storage/errors.js'
import { isTransient } from '../storage/transient.js'
import { CommandError, TransferError } from '../transfer/errors.js'

/** Retries after the first attempt, unless an entry point says otherwise. */
export const DEFAULT_RETRIES = 3
/** Base backoff delay in ms: retry n waits a uniform random time in [0, base x 2^(n-1)]. */
export const DEFAULT_RETRY_DELAY_MS = 1000
/** Longest single wait, whatever the attempt number, unless the caller sets its own (`maxDelay`). */
export const MAX_RETRY_DELAY_MS = 60_000

export interface RetryOptions {
  /** Retries after the first attempt (0 = one attempt). */
  retries: number
  /** Base delay in ms for the full-jitter backoff. */
  retryDelay: number
  /** Longest single wait in ms (default MAX_RETRY_DELAY_MS): an entry point's own cap replaces it. */
  maxDelay?: number
  /** Aborting stops the waiting and the retrying; the signal's reason is thrown / reported. */
  signal?: AbortSignal
  /** Called before each retry with the failure, the attempt that failed (1-based) and the wait. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void
  /** Overrides the classifier (default: isRetryable). */
  retryable?: (err: unknown) => boolean
}

export type RetryResult<T> =
  | { ok: true; value: T; attempts: number }
  | { ok: false; error: unknown; attempts: number }

/**
 * Transient (worth another attempt) vs permanent. A StorageError or a CommandError has already
 * been classified by the layer that made it (ETRANSIENT / `transient`), so its verdict stands;
 * any other TransferError (verification, collision, abort) is permanent; a raw error (an SDK's,
 * a socket's) is judged by the low-level rules (network codes, 408/429/5xx, throttling).
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof StorageError) return isStorageError(err, 'ETRANSIENT')
  if (err instanceof CommandError) return err.transient
  if (err instanceof TransferError) return false
  if (isAbortError(err)) return false
  if (err !== null && typeof err === 'object' && typeof (err as { code?: unknown }).code === 'string') {
    const code = (err as { code: string }).code
    // Errors of logferry's own layers (ERR_*, config, validation) never heal by waiting.
    if (code.startsWith('ERR_') || code === 'ABORT_ERR') return false
  }
  return isTransient(err)
}

function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as { code?: unknown }).code === 'ABORT_ERR')
}

/** Full jitter: a uniform delay in [0, base x 2^(attempt-1)], capped at `maxMs`. */
export function jitteredDelay(attempt: number, baseMs: number, random: () => number = Math.random, maxMs: number = MAX_RETRY_DELAY_MS): number {
  return Math.floor(random() * Math.min(baseMs * 2 ** Math.max(0, attempt - 1), maxMs))
}

/** Resolves after `ms`; rejects with the signal's reason as soon as it aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Runs `fn` until it succeeds, fails with a permanent error, the retries are used up or the
 * signal aborts (at most retries + 1 calls). Never throws: the outcome and the number of calls
 * come back together. On abort the error is the signal's reason.
 */
export async function attempt<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<RetryResult<T>> {
  const retryable = opts.retryable ?? isRetryable
  for (let n = 1; ; n++) {
    if (opts.signal?.aborted) return { ok: false, error: opts.signal.reason, attempts: n - 1 }
    try {
      return { ok: true, value: await fn(n), attempts: n }
    } catch (err) {
      if (opts.signal?.aborted || n > opts.retries || !retryable(err)) return { ok: false, error: err, attempts: n }
      const delay = jitteredDelay(n, opts.retryDelay, Math.random, opts.maxDelay)
      opts.onRetry?.(err, n, delay)
      try {
        await abortableSleep(delay, opts.signal)
      } catch {
        return { ok: false, error: err, attempts: n }
      }
    }
  }
}

/** `attempt`, throwing the last failure; the value and the number of calls on success. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<{ value: T; attempts: number }> {
  const r = await attempt(fn, opts)
  if (!r.ok) throw r.error
  return { value: r.value, attempts: r.attempts }
}
