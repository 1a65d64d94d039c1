/** What a source's fetch reports: the sync runner categorises exactly the files listed in `changed`. */
import type { SourceSettings, SyncMethod } from '../types.js'

export interface FetchResult {
  method: SyncMethod
  /** Paths (relative to the source's mirror root, `/`-separated) created, changed or removed. */
  changed: string[]
  filesTransferred: number
  bytesTransferred: number
  filesDeleted: number
  warnings: string[]
  attempts: number
  fallbackReason?: string
  /** Files that failed while others came (a storage source): the sync is 'failed' with these. */
  failures?: { path: string; error: unknown }[]
}

export interface Fetcher {
  readonly source: SourceSettings
  /** The method a sync will try first. */
  readonly plannedMethod: SyncMethod
  /**
   * Mirrors the source into `dest` (created by the caller). `onLanded`, when the fetcher can tell:
   * a changed file is in place (with its size) while the fetch goes on, so it can be categorised
   * meanwhile; `changed` still lists it.
   */
  fetch(dest: string, signal: AbortSignal, onLanded?: (path: string, size: number) => void): Promise<FetchResult>
  close(): Promise<void>
}
