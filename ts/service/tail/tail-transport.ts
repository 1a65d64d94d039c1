/** Where a tail client's events go: an SSE response or a WebSocket. */
import type { WireEvent } from './wire-events.js'

export interface TailTransport {
  /** Sends one event; false when the peer is behind: wait for onDrain before sending more. */
  send(e: WireEvent): boolean
  /** Calls `fn` once, when the peer has taken what was sent. */
  onDrain(fn: () => void): void
  /** Keeps idle connections (and the proxies on their way) open. */
  heartbeat(): void
  /** Calls `fn` once when the peer went away. */
  onClose(fn: () => void): void
  /** Ends the stream (after what was sent). */
  end(): void
  /** Drops the connection now, with what it still buffers (a peer that takes nothing). */
  abort(): void
  /** Bytes accepted but not yet taken by the peer (for the memory bound). */
  readonly buffered: number
}
