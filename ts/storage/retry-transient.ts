/** Retries of single storage calls (chunks, parts): exponential backoff with full jitter. */
import { isStorageError } from './errors.js'

export interface RetryTransientOptions {
  /** Retries after the first attempt. */
  retries: number
  /** Base delay in ms: attempt n waits a uniform random time in [0, retryDelay x 2^(n-1)]. */
  retryDelay: number
  signal?: AbortSignal
  /** Called before each retry with the failure and the attempt that failed (1-based). */
  onRetry?: (err: unknown, attempt: number) => void
}

/** Longest single wait, whatever the attempt number. */
const MAX_DELAY_MS = 60_000

/** Full jitter: a uniform delay in [0, base x 2^(attempt-1)], capped at one minute. */
export function jitteredDelay(attempt: number, baseMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(baseMs * 2 ** Math.max(0, attempt - 1), MAX_DELAY_MS))
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

/** Runs `fn` again after StorageErrors with code ETRANSIENT, up to `retries` times; else throws. */
export async function retryTransient<T>(fn: (attempt: number) => Promise<T>, opts: RetryTransientOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    opts.signal?.throwIfAborted()
    try {
      return await fn(attempt)
    } catch (err) {
      if (attempt > opts.retries || !isStorageError(err, 'ETRANSIENT') || opts.signal?.aborted) throw err
      opts.onRetry?.(err, attempt)
      await abortableSleep(jitteredDelay(attempt, opts.retryDelay), opts.signal)
    }
  }
}
