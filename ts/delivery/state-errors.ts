/** Errors of the delivery state store, each with a stable `code` (docs/delivery.md, "State"). */

export type StateStoreErrorCode =
  /** Another live owner (a process, or another store of this process) holds the store. */
  | 'ERR_STATE_LOCKED'
  /** The database was written by a newer (or unknown) schema version: refused, never downgraded. */
  | 'ERR_STATE_VERSION'
  /** The file is not a state database, or SQLite reports it damaged. */
  | 'ERR_STATE_CORRUPT'
  /** SQLite stayed busy (locked by another connection) for longer than the busy timeout. */
  | 'ERR_STATE_BUSY'
  /** Any other failure to read or write the state (disk full, permissions, I/O). */
  | 'ERR_STATE_IO'
  /** The store was used after close(). */
  | 'ERR_STATE_CLOSED'

export class StateStoreError extends Error {
  override readonly name = 'StateStoreError'
  readonly code: StateStoreErrorCode
  /** The state database file. */
  readonly path: string
  /** ERR_STATE_LOCKED: the owner's pid, when it could be read. */
  readonly ownerPid: number | undefined

  constructor(code: StateStoreErrorCode, path: string, message: string, options?: { cause?: unknown; ownerPid?: number }) {
    super(message, { cause: options?.cause })
    this.code = code
    this.path = path
    this.ownerPid = options?.ownerPid
  }
}

export function isStateStoreError(err: unknown, code?: StateStoreErrorCode): err is StateStoreError {
  return err instanceof StateStoreError && (code === undefined || err.code === code)
}
