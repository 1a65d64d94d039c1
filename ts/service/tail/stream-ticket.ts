/**
 * Stream tickets: browsers' EventSource and WebSocket cannot send an Authorization header, and
 * a bearer token in a URL ends up in proxy logs and browser history. So a client with the token
 * asks `POST /logs/stream/ticket?path=` for a ticket: valid for that one path, for ticketTtl,
 * only on the stream route, signed with a key made at start (it dies with the process).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

export interface TicketIssuer {
  issue(path: string): { ticket: string; expiresAt: Date }
  /** Whether `ticket` opens a stream of `path` now. */
  check(ticket: string, path: string): boolean
}

export function createTicketIssuer(ttlMs: number, now: () => number = Date.now): TicketIssuer {
  const key = randomBytes(32)
  const sign = (exp: number, path: string): string => createHmac('sha256', key).update(`${exp}\0${path}`).digest('base64url')
  return {
    issue(path) {
      const exp = now() + ttlMs
      return { ticket: `${exp.toString(36)}.${sign(exp, path)}`, expiresAt: new Date(exp) }
    },
    check(ticket, path) {
      const m = /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{43})$/.exec(ticket)
      if (m === null) return false
      const exp = parseInt(m[1] as string, 36)
      const want = Buffer.from(sign(exp, path))
      const got = Buffer.from(m[2] as string)
      return timingSafeEqual(want, got) && now() <= exp
    },
  }
}
