/**
 * The critical-error webhook of `logferry collect` (`WEBHOOK_URL`): a JSON POST per event (a
 * server unreachable after all retries, a quarantined file), retried through the retry helper
 * (network errors, 429 and 5xx), each attempt bounded by a timeout. Never blocks the pipeline:
 * `send` returns at once; `drain` (at close) waits for what is still in flight.
 */
import { attempt } from '../delivery/retry.js'

export interface WebhookEvent {
  event: 'server_unreachable' | 'quarantine'
  server: string
  file?: string
  message: string
  [k: string]: unknown
}

class HttpStatusError extends Error {
  constructor(readonly status: number) {
    super(`webhook answered HTTP ${status}`)
  }
}

export class Webhook {
  private readonly inFlight = new Set<Promise<void>>()
  /** Deliveries that failed for good (counted, never thrown into the pipeline). */
  failures = 0
  delivered = 0

  constructor(
    readonly url: string,
    private readonly o: { retries?: number; retryDelay?: number; timeoutMs?: number; onFailure?: (err: unknown) => void } = {},
  ) {}

  send(e: WebhookEvent): void {
    const body = JSON.stringify({ timestamp: new Date().toISOString(), source: 'logferry collect', ...e })
    const p = attempt(
      async () => {
        const r = await fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000) })
        await r.arrayBuffer().catch(() => undefined)
        if (!r.ok) throw new HttpStatusError(r.status)
      },
      { retries: this.o.retries ?? 3, retryDelay: this.o.retryDelay ?? 1000, retryable: (err) => !(err instanceof HttpStatusError) || err.status === 429 || err.status >= 500 },
    ).then((r) => {
      if (r.ok) this.delivered++
      else {
        this.failures++
        this.o.onFailure?.(r.error)
      }
    })
    this.inFlight.add(p)
    void p.finally(() => this.inFlight.delete(p))
  }

  /** Waits for the deliveries in flight. */
  async drain(): Promise<void> {
    await Promise.all([...this.inFlight])
  }
}
