/**
 * A tail transport onto a byte stream (a terminal, a pipe): lines as text, one per line; what
 * is not a line (rotation, truncation, drops, the end) goes to `notice` as a sentence, the way
 * GNU tail reports `file truncated` on stderr.
 */
import type { Writable } from 'node:stream'
import type { TailTransport } from './tail-transport.js'
import type { WireEvent } from './wire-events.js'

export function describeEvent(e: Exclude<WireEvent, { type: 'lines' }>): string {
  switch (e.type) {
    case 'rotated':
      return 'file rotated: following the new file from its start'
    case 'truncated':
      return 'file truncated: reading from its start'
    case 'dropped':
      return `${e.count} line${e.count === 1 ? '' : 's'} dropped (output did not keep up)`
    case 'gap':
      return 'the resume point is gone (rotated or truncated meanwhile): reading from the start of the file; lines between may be missing'
    case 'end':
      return `stream ended: ${e.reason}${e.message === undefined ? '' : ` (${e.message})`}`
  }
}

export class WritableTransport implements TailTransport {
  constructor(
    private readonly out: Writable,
    private readonly notice: (text: string, e: WireEvent) => void,
  ) {}

  send(e: WireEvent): boolean {
    if (e.type !== 'lines') {
      this.notice(describeEvent(e), e)
      return true
    }
    if (e.lines.length === 0 || this.out.destroyed) return true
    return this.out.write(`${e.lines.join('\n')}\n`)
  }

  onDrain(fn: () => void): void {
    this.out.once('drain', fn)
  }

  heartbeat(): void {}

  onClose(fn: () => void): void {
    this.out.once('close', fn)
    this.out.once('error', fn)
  }

  end(): void {}

  abort(): void {}

  get buffered(): number {
    return this.out.writableLength
  }
}
