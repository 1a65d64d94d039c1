/**
 * The events a tail stream sends, the same over SSE (`event:` = type, `data:` = the JSON
 * object, `id:` = a lines event's id) and over WebSocket (one JSON text message each).
 */
import type { FollowerEvent } from './follower-events.js'

/** Lines that did not fit the client's buffer since the last event it got (Loki's dropped_entries). */
export interface DroppedEvent {
  type: 'dropped'
  count: number
}

/** The Last-Event-ID given is not in the file any more (rotated or truncated since): what follows starts at the file's start; lines between may be missing. */
export interface GapEvent {
  type: 'gap'
  reason: 'resume-point-lost'
}

/** The server ends the stream (an SSE client reconnecting resumes where it was). */
export interface EndEvent {
  type: 'end'
  reason: 'max-duration' | 'compressed' | 'failed' | 'closing'
  message?: string
}

export type WireEvent = Exclude<FollowerEvent, { type: 'failed' }> | DroppedEvent | GapEvent | EndEvent

/** The JSON of an event as sent (a lines event's `bytes` is the server's accounting, not sent). */
export function eventJson(e: WireEvent): string {
  if (e.type === 'lines') return JSON.stringify({ type: 'lines', id: e.id, lines: e.lines })
  return JSON.stringify(e)
}

const cache = new WeakMap<WireEvent, Buffer>()

/** eventJson as UTF-8, made once per event however many clients it goes to. */
export function sharedJson(e: WireEvent): Buffer {
  let b = cache.get(e)
  if (b === undefined) {
    b = Buffer.from(eventJson(e))
    cache.set(e, b)
  }
  return b
}
