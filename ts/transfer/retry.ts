/** Per-file retries: exponential backoff with full jitter, on transient storage errors only. */
import { isStorageError } from '../storage/index.js'
import { abortableSleep as sleep, jitteredDelay as backoffDelay } from '../storage/retry-transient.js'
import { CommandError } from './errors.js'

/** True for errors worth another attempt: ETRANSIENT StorageErrors and transient tool failures. */
export function isRetryable(err: unknown): boolean {
  return isStorageError(err, 'ETRANSIENT') || (err instanceof CommandError && err.transient)
}

/** The storage layer's backoff (full jitter, capped) and abortable sleep serve per-file retries too. */
export { abortableSleep as sleep, jitteredDelay as backoffDelay } from '../storage/retry-transient.js'
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
