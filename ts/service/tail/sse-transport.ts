/**
 * Server-Sent Events over a raw HTTP response. A lines event carries `id: <offset>-<mark>`, so
 * a browser's EventSource reconnects with Last-Event-ID and resumes exactly there.
 */
import type { ServerResponse } from 'node:http'
import type { TailTransport } from './tail-transport.js'
import { eventJson, type WireEvent } from './wire-events.js'

const frames = new WeakMap<WireEvent, Buffer>()

/** The event's frame, encoded once however many clients it goes to. */
function frame(e: WireEvent): Buffer {
  let f = frames.get(e)
  if (f === undefined) {
    const id = e.type === 'lines' && e.id !== '' ? `id: ${e.id}\n` : ''
    f = Buffer.from(`${id}event: ${e.type}\ndata: ${eventJson(e)}\n\n`)
    frames.set(e, f)
  }
  return f
}

export class SseTransport implements TailTransport {
  constructor(private readonly res: ServerResponse) {}

  /** Sends the headers (once the stream is known to start). */
  open(): void {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // nginx and others buffer responses unless told not to.
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    })
    this.res.write('retry: 2000\n\n')
  }

  send(e: WireEvent): boolean {
    if (this.res.destroyed || this.res.writableEnded) return true
    return this.res.write(frame(e))
  }

  onDrain(fn: () => void): void {
    this.res.once('drain', fn)
  }

  heartbeat(): void {
    if (!this.res.destroyed && !this.res.writableEnded) this.res.write(': ping\n\n')
  }

  onClose(fn: () => void): void {
    this.res.once('close', fn)
  }

  end(): void {
    if (!this.res.writableEnded) this.res.end()
  }

  abort(): void {
    this.res.destroy()
  }

  get buffered(): number {
    return this.res.writableLength + (this.res.socket?.writableLength ?? 0)
  }
}
