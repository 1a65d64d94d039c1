/** One queued file as persisted in the state directory. */
export type EntryStatus = 'pending' | 'failed'

export interface QueueEntry {
  /** Stable id derived from the local path. */
  id: string
  /** Absolute local path. */
  path: string
  event: string
  /** Object name at the target, fixed when the file was queued. */
  objectName: string
  /** Size in bytes when queued (sealed files do not change). */
  size: number
  /** ms since the epoch. */
  queuedAt: number
  status: EntryStatus
  /** Upload attempts made so far (over all runs). */
  attempts: number
  lastError?: string
}
