/** What a file follower tells its clients. */

/** Complete lines appended to the file, in order. */
export interface LinesEvent {
  type: 'lines'
  /** The lines' text without their `\n` (a last line of a rotated file may have had none). */
  lines: string[]
  /** Bytes the lines took in the file. */
  bytes: number
  /** `<offset>-<mark>` of the position after the last line (content-mark.ts): the resume point. */
  id: string
}

/** The name now names another file (rotation); what follows is read from its start. */
export interface RotatedEvent {
  type: 'rotated'
}

/** The file shrank under the follower (truncated); what follows is read from offset 0. */
export interface TruncatedEvent {
  type: 'truncated'
  /** Its size when the shrink was seen. */
  size: number
}

/** The file could no longer be followed (removed and not recreated is not this: that waits). */
export interface FailedEvent {
  type: 'failed'
  code: string
  message: string
}

export type FollowerEvent = LinesEvent | RotatedEvent | TruncatedEvent | FailedEvent
