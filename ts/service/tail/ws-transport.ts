/**
 * A WebSocket (ws) as a tail transport. ws's send() does not report back-pressure
 * (websockets/ws#2009): the peer counts as behind while more than HIGH_WATER bytes are
 * buffered, and as caught up when a send's callback finds them below LOW_WATER.
 */
import type { WebSocket } from 'ws'
import type { TailTransport } from './tail-transport.js'
import { sharedJson, type WireEvent } from './wire-events.js'

const HIGH_WATER = 256 * 1024
const LOW_WATER = 64 * 1024

export class WsTransport implements TailTransport {
  private waiting: (() => void) | undefined

  constructor(private readonly ws: WebSocket) {}

  private get open(): boolean {
    return this.ws.readyState === this.ws.OPEN
  }

  send(e: WireEvent): boolean {
    if (!this.open) return true
    this.ws.send(sharedJson(e), { binary: false }, () => {
      const w = this.waiting
      if (w !== undefined && this.ws.bufferedAmount <= LOW_WATER) {
        this.waiting = undefined
        w()
      }
    })
    return this.ws.bufferedAmount <= HIGH_WATER
  }

  onDrain(fn: () => void): void {
    this.waiting = fn
  }

  heartbeat(): void {
    if (this.open) this.ws.ping()
  }

  onClose(fn: () => void): void {
    this.ws.once('close', fn)
  }

  end(): void {
    if (this.open) this.ws.close(1000)
  }

  abort(): void {
    this.ws.terminate()
  }

  get buffered(): number {
    return this.ws.bufferedAmount
  }
}
