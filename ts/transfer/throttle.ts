/** A token bucket shared by every file of a transfer, and the Transform that draws from it. */
import { Transform, type TransformCallback } from 'node:stream'
import { abortableSleep as sleep } from '../delivery/retry.js'

/**
 * Hands out `rate` bytes per second in total, however many streams draw from it. The bucket
 * holds at most a quarter second of tokens, so a pause never turns into a burst above the rate.
 */
export class TokenBucket {
  private tokens: number
  private last = performance.now()
  private readonly capacity: number
  /** Serialises takers so concurrent streams share the rate fairly, in arrival order. */
  private queue: Promise<void> = Promise.resolve()

  constructor(readonly rate: number) {
    this.capacity = Math.max(rate / 4, 1)
    this.tokens = 0
  }

  private refill(): void {
    const now = performance.now()
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.rate)
    this.last = now
  }

  /** Resolves once `n` bytes may pass (taken in slices no larger than the bucket). */
  take(n: number, signal?: AbortSignal): Promise<void> {
    const run = async (): Promise<void> => {
      let left = n
      while (left > 0) {
        signal?.throwIfAborted()
        this.refill()
        const slice = Math.min(left, this.capacity)
        if (this.tokens >= slice) {
          this.tokens -= slice
          left -= slice
          continue
        }
        await sleep(Math.max(1, Math.ceil(((slice - this.tokens) / this.rate) * 1000)), signal)
      }
    }
    const p = this.queue.then(run)
    this.queue = p.catch(() => undefined)
    return p
  }
}

/** Passes chunks through once the bucket allows their bytes. */
export class ThrottleStream extends Transform {
  constructor(
    private readonly bucket: TokenBucket,
    private readonly signal?: AbortSignal,
  ) {
    super()
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bucket.take(chunk.length, this.signal).then(
      () => cb(null, chunk),
      (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
    )
  }
}
