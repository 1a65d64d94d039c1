/** One queued file as persisted in the state store (an item of the `uploads` queue). */
export type EntryStatus = 'pending' | 'failed'

/** The part of an entry kept as the item's JSON payload (id, status, attempts, lastError are columns). */
export interface QueuePayload {
  /** Absolute local path. */
  path: string
  event: string
  /** Object name at the target, fixed when the file was queued. */
  objectName: string
  /** Size in bytes when queued (sealed files do not change). */
  size: number
  /** ms since the epoch. */
  queuedAt: number
}

export interface QueueEntry extends QueuePayload {
  /** Stable id derived from the local path. */
  id: string
  status: EntryStatus
  /** Upload attempts made so far (over all runs). */
  attempts: number
  lastError?: string
}
