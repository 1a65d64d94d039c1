/**
 * `logferry collect`'s state on the delivery core's one SQLite store (docs/delivery.md "State",
 * docs/collect.md "State"): one item per file in the queue `collect-files` (id `server:path`),
 * its status the file's state, its payload the rest of the row; a done record per processed file
 * in the scope `collect:<server>` keyed by the remote path (fingerprint size, mtime, sha256), and
 * one in `collect-content:<server>` keyed by the sha256, so the same content under another name
 * is not extracted twice. Every change is one transaction, made after the file operation it
 * records.
 */
import { join } from 'node:path'
import { openStateStore, type Item, type StateStore } from '../delivery/state-store.js'

export const FILES_QUEUE = 'collect-files'

export type FileState = 'pending' | 'copied' | 'extracted' | 'processed' | 'error'
export type ErrorType = 'copy' | 'extract' | 'quarantine'

export interface FileRecord {
  server: string
  remotePath: string
  /** Name in incoming/, processed/ and error/ (the remote base name). */
  name: string
  size: number
  mtimeMs: number
  sha256?: string
  /** Name in extracted/<server>/ (chosen once the content is known, then kept). */
  extractedName?: string
  format?: string
  bytesOut?: number
  errorType?: ErrorType
  errorMessage?: string
  /** Quarantine: the reason (`truncated`, `crc_mismatch`, ...) and byte offset. */
  reason?: string
  offset?: number
  copyRetries: number
  extractRetries: number
  /** The same content was already processed (this sha256): not extracted again. */
  duplicateOf?: string
}

export type FileRow = Item<FileRecord> & { status: FileState }

export const fileId = (server: string, remotePath: string): string => `${server}:${remotePath}`
const doneScope = (server: string): string => `collect:${server}`
const contentScope = (server: string): string => `collect-content:${server}`

export class CollectState {
  constructor(readonly store: StateStore) {}

  static open(stateDir: string, readOnly = false): CollectState {
    return new CollectState(openStateStore(join(stateDir, 'collect.db'), { owner: 'logferry collect', readOnly }))
  }

  get(server: string, remotePath: string): FileRow | undefined {
    return this.store.get<FileRecord>(FILES_QUEUE, fileId(server, remotePath)) as FileRow | undefined
  }

  all(): FileRow[] {
    return this.store.list<FileRecord>(FILES_QUEUE) as FileRow[]
  }

  /** The file was processed with this size and mtime. */
  isDone(server: string, remotePath: string, size: number, mtimeMs: number): boolean {
    return this.store.isDone(doneScope(server), remotePath, { size, mtimeMs })
  }

  /** The same content (sha256) was already processed on this server. */
  isContentDone(server: string, sha256: string): boolean {
    return this.store.getDone(contentScope(server), sha256) !== undefined
  }

  /** One state change (one transaction); `attempts` counts copy + extract attempts. */
  set(state: FileState, rec: FileRecord, lastError?: string): FileRow {
    return this.store.put<FileRecord>(FILES_QUEUE, {
      id: fileId(rec.server, rec.remotePath),
      status: state,
      attempts: rec.copyRetries + rec.extractRetries,
      lastError,
      payload: rec,
    }) as FileRow
  }

  /** processed + both done records, one transaction. */
  processed(rec: FileRecord): FileRow {
    return this.store.transaction(() => {
      const row = this.set('processed', rec)
      const checksum = rec.sha256 === undefined ? undefined : `sha256:${rec.sha256}`
      this.store.markDone(doneScope(rec.server), rec.remotePath, { size: rec.size, mtimeMs: rec.mtimeMs, ...(checksum ? { checksum } : {}) })
      if (rec.sha256 !== undefined && rec.duplicateOf === undefined) {
        this.store.markDone(contentScope(rec.server), rec.sha256, { size: rec.size, ...(checksum ? { checksum } : {}) })
      }
      return row
    })
  }

  close(): void {
    this.store.close()
  }
}
