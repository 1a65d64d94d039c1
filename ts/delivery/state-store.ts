/**
 * The one state store of the delivery core: what is queued, what failed, what was done, and a
 * lock. Every pipeline that keeps state (the uploader's queue, copy jobs, and later `logferry
 * collect` and `logferry serve`) keeps it here, so each gets the same guarantees: every write is
 * a SQLite transaction (WAL, synchronous=FULL: committed means on disk), one owner per store
 * (a second process gets ERR_STATE_LOCKED naming the owner's pid; a dead owner's lock is taken
 * over), and a database of an unknown schema version is refused (ERR_STATE_VERSION).
 *
 * Two kinds of record:
 * - items: named queues of work keyed by an id, each with a status the pipeline defines
 *   ('pending', 'failed', 'copied', 'quarantined', ...), an attempt count, the last error, a JSON
 *   payload and timestamps;
 * - done records: what was delivered, keyed by (scope, key), with the fingerprint it had then
 *   (size, mtime, checksum) so an unchanged source is not delivered again.
 *
 * The API is synchronous (SQLite is); opening is too. The SQLite binding is loaded at the first
 * open, never by importing this module (docs/delivery.md, "State").
 */
export type { StateStoreErrorCode } from './state-errors.js'
export { StateStoreError, isStateStoreError } from './state-errors.js'

/** What a source looked like when it was delivered; compare only the fields both sides have. */
export interface Fingerprint {
  size?: number
  mtimeMs?: number
  /** `algorithm:hex`, e.g. `sha256:9f86d0...`. */
  checksum?: string
}

export interface DoneRecord {
  scope: string
  key: string
  fingerprint: Fingerprint
  /** ms since the epoch. */
  doneAt: number
}

export interface Item<P = unknown> {
  queue: string
  id: string
  status: string
  /** Attempts made so far (over every run). */
  attempts: number
  lastError: string | undefined
  payload: P
  /** ms since the epoch: when the item was first put (kept by later puts). */
  createdAt: number
  updatedAt: number
}

/** What put() takes: an item without the timestamps it sets itself. */
export interface ItemInput<P = unknown> {
  id: string
  status: string
  attempts?: number
  lastError?: string | undefined
  payload: P
  /** Defaults to now on the first put; later puts keep the first value unless given. */
  createdAt?: number
}

export interface ListOptions {
  /** Only items with this status (or one of these). */
  status?: string | readonly string[]
  /** At most this many, oldest first. */
  limit?: number
}

/** A previous release's state, imported on open in the same transaction as the schema check. */
export interface LegacyState {
  items?: (ItemInput & { queue: string })[]
  done?: DoneRecord[]
}

/**
 * How a previous release's files become a store. read() runs with the lock held, before the
 * database is opened; its records are written in one transaction (existing rows win, so a
 * migration interrupted after its commit can run again), and retire() runs only after the commit.
 */
export interface LegacyLayout {
  /** The old state, or undefined when there is none. May throw (e.g. ERR_STATE_LOCKED for an old-release owner). */
  read(): LegacyState | undefined
  /**
   * True when the old state is the file at the store's own path (a JSON file where the database
   * goes): the database is then built next to it and renamed over it after retire().
   */
  replacesFile?: boolean
  /** Moves or copies the old files aside (after the commit; for replacesFile, before the rename). */
  retire(): void
}

export interface OpenStateStoreOptions {
  /** Who opens it (`uploader`, `copy job logs`): recorded with the pid, shown to a second owner. */
  owner: string
  /** The previous release's layout to migrate from, if any. */
  legacy?: LegacyLayout
  /** How long a busy database is waited for before ERR_STATE_BUSY, in ms (default 5000). */
  busyTimeout?: number
  /**
   * A read-only view of an existing store, without its lock: for status pages and tests reading
   * the state while its owner runs. Writes fail (ERR_STATE_IO); `legacy` is ignored; ownerInfo
   * is the owner recorded in the database.
   */
  readOnly?: boolean
}

export interface OwnerInfo {
  owner: string
  pid: number
  hostname: string
  /** ms since the epoch. */
  since: number
}

export interface StateStore {
  /** The database file. */
  readonly path: string
  readonly ownerInfo: OwnerInfo

  /** Inserts or replaces an item. */
  put<P>(queue: string, item: ItemInput<P>): Item<P>
  get<P = unknown>(queue: string, id: string): Item<P> | undefined
  /** Items of a queue, oldest first (createdAt, then id). */
  list<P = unknown>(queue: string, options?: ListOptions): Item<P>[]
  /** Number of items, per status. */
  counts(queue: string): Record<string, number>
  /** Removes an item; true when it existed. */
  remove(queue: string, id: string): boolean

  /** Records (or replaces) a done record; `complete` removes that queue item in the same transaction. */
  markDone(scope: string, key: string, fingerprint: Fingerprint, complete?: { queue: string; id: string }): void
  getDone(scope: string, key: string): DoneRecord | undefined
  /** True when `key` was done with a fingerprint equal to `fingerprint` in every field `fingerprint` has. */
  isDone(scope: string, key: string, fingerprint: Fingerprint): boolean
  listDone(scope: string): DoneRecord[]
  /** Forgets done records; returns how many existed. */
  forgetDone(scope: string, keys: Iterable<string>): number
  /** Forgets every done record of `scope` whose key is not in `keep`; returns how many. */
  retainDone(scope: string, keep: ReadonlySet<string>): number

  /** Runs `fn` as one transaction (nested calls join it); rolls back if it throws. */
  transaction<T>(fn: () => T): T
  /** Checkpoints and closes the database and releases the lock. Idempotent. */
  close(): void
}

/**
 * openStateStore(path, options): opens (creating it and its directory if needed) the state
 * database at `path` and takes its owner lock. Throws a StateStoreError: ERR_STATE_LOCKED,
 * ERR_STATE_VERSION, ERR_STATE_CORRUPT, ERR_STATE_BUSY or ERR_STATE_IO.
 */
export { openSqliteStateStore as openStateStore } from './sqlite-state-store.js'
