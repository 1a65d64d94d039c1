/** Per-file retries: exponential backoff with full jitter, on transient storage errors only. */
import { isStorageError } from '../storage/index.js'
import { CommandError } from './errors.js'

/** True for errors worth another attempt: ETRANSIENT StorageErrors and transient tool failures. */
export function isRetryable(err: unknown): boolean {
  return isStorageError(err, 'ETRANSIENT') || (err instanceof CommandError && err.transient)
}

/** Full jitter: a uniform delay in [0, base * 2^(attempt-1)], capped at 5 minutes. */
export function backoffDelay(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(baseMs * 2 ** Math.max(0, attempt - 1), 300_000)
  return Math.floor(random() * ceiling)
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
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

export interface RetryResult<T> {
  value?: T
  error?: unknown
  attempts: number
}

/**
 * Runs `fn` until it succeeds, fails with a non-retryable error, or `retries` retries are used.
 * Never throws: the outcome and the number of attempts come back together.
 */
export async function withRetries<T>(
  fn: (attempt: number) => Promise<T>,
  opts: { retries: number; retryDelay: number; signal?: AbortSignal },
): Promise<RetryResult<T>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await fn(attempt), attempts: attempt }
    } catch (err) {
      if (opts.signal?.aborted || attempt > opts.retries || !isRetryable(err)) return { error: err, attempts: attempt }
      try {
        await sleep(backoffDelay(attempt, opts.retryDelay), opts.signal)
      } catch {
        return { error: err, attempts: attempt }
      }
    }
  }
}
