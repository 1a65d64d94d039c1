/**
 * The state store on SQLite (better-sqlite3, loaded at the first open so that importing logferry
 * never loads it). The database runs in WAL mode with synchronous=FULL: a commit returns only
 * once its WAL frames are fsynced, so a record reported committed survives kill -9 and power
 * loss, and an interrupted transaction is rolled back on the next open. The schema version is
 * PRAGMA user_version; a newer or unknown one is refused, never downgraded.
 *
 * The owner lock is a second, tiny SQLite file (`{path}.lock`) opened in exclusive locking mode:
 * its EXCLUSIVE lock is an fcntl lock, which the kernel releases when the owner dies however it
 * dies (kill -9 included), so there is no stale lock to guess about and a reused pid cannot keep
 * a store locked. SQLite tracks these locks per file inside a process too, so a second store of
 * the same process is refused as well. The owner's pid, host and name are written into the
 * database's meta table for the message a second owner gets.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, rmSync } from 'node:fs'
import { hostname } from 'node:os'
import { dirname } from 'node:path'
import type BetterSqlite3 from 'better-sqlite3'
import { lazyModule } from '../lazy-module.js'
import { StateStoreError, type StateStoreErrorCode } from './state-errors.js'
import type { DoneRecord, Fingerprint, Item, ItemInput, LegacyState, ListOptions, OpenStateStoreOptions, OwnerInfo, StateStore } from './state-store.js'

/** The schema this release writes. Version 1: tables meta, items, done. */
export const STATE_SCHEMA_VERSION = 1

const DEFAULT_BUSY_TIMEOUT_MS = 5000

type Db = BetterSqlite3.Database
type DatabaseCtor = typeof BetterSqlite3

const sqlite = lazyModule<DatabaseCtor>('better-sqlite3')

const SCHEMA_V1 = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE items (
  queue TEXT NOT NULL, id TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
  last_error TEXT, payload TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (queue, id)
) WITHOUT ROWID;
CREATE INDEX items_by_age ON items (queue, created_at, id);
CREATE INDEX items_by_status ON items (queue, status, created_at, id);
CREATE TABLE done (
  scope TEXT NOT NULL, key TEXT NOT NULL, size INTEGER, mtime_ms REAL, checksum TEXT, done_at INTEGER NOT NULL,
  PRIMARY KEY (scope, key)
) WITHOUT ROWID;
PRAGMA user_version = 1;
`

interface ItemRow {
  queue: string
  id: string
  status: string
  attempts: number
  last_error: string | null
  payload: string
  created_at: number
  updated_at: number
}

interface DoneRow {
  scope: string
  key: string
  size: number | null
  mtime_ms: number | null
  checksum: string | null
  done_at: number
}

function sqliteCode(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code
  return typeof c === 'string' && c.startsWith('SQLITE_') ? c : undefined
}

/** Every failure leaves the store as a StateStoreError with a code. */
function toStateError(err: unknown, path: string, busyTimeout: number): StateStoreError {
  if (err instanceof StateStoreError) return err
  const c = sqliteCode(err) ?? ''
  const detail = err instanceof Error ? err.message : String(err)
  let code: StateStoreErrorCode = 'ERR_STATE_IO'
  let message = `state ${path}: ${detail}`
  if (c.startsWith('SQLITE_BUSY') || c.startsWith('SQLITE_LOCKED')) {
    code = 'ERR_STATE_BUSY'
    message = `state ${path} stayed locked by another connection for more than ${busyTimeout} ms (${c})`
  } else if (c.startsWith('SQLITE_CORRUPT') || c === 'SQLITE_NOTADB') {
    code = 'ERR_STATE_CORRUPT'
    message = `state ${path} is damaged or not a state database: ${detail}`
  }
  return new StateStoreError(code, path, message, { cause: err })
}

/** True for a SQLite database file (or an empty file, which SQLite takes as a new database). */
export function isSqliteFile(path: string): boolean {
  const fd = openSync(path, 'r')
  try {
    const head = Buffer.alloc(16)
    const n = readSync(fd, head, 0, 16, 0)
    return n === 0 || head.toString('latin1') === 'SQLite format 3\0'
  } finally {
    closeSync(fd)
  }
}

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

function removeDb(path: string): void {
  for (const s of ['', '-wal', '-shm', '-journal']) rmSync(`${path}${s}`, { force: true })
}

/** Holds `{path}.lock` exclusively, or throws ERR_STATE_LOCKED naming the owner. */
function takeLock(path: string): Db {
  const lockPath = `${path}.lock`
  for (let attempt = 0; ; attempt++) {
    const l = new (sqlite())(lockPath, { timeout: 0 })
    try {
      l.pragma('locking_mode = EXCLUSIVE')
      l.pragma('journal_mode = MEMORY')
      // The first write takes the EXCLUSIVE lock; exclusive locking mode keeps it until close.
      l.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS lease (x); COMMIT')
      return l
    } catch (err) {
      l.close()
      const c = sqliteCode(err) ?? ''
      if (c === 'SQLITE_NOTADB' && attempt === 0) {
        // Not ours to read (a damaged lock file): it holds no state, so start it afresh.
        rmSync(lockPath, { force: true })
        continue
      }
      if (!c.startsWith('SQLITE_BUSY') && !c.startsWith('SQLITE_LOCKED')) throw err
      const owner = readOwner(path)
      const who = !owner
        ? 'another process'
        : owner.pid === process.pid
          ? `another ${owner.owner} of this process`
          : `${owner.owner}, process ${owner.pid}${owner.hostname !== hostname() ? ` on ${owner.hostname}` : ''}`
      throw new StateStoreError('ERR_STATE_LOCKED', path, `state ${path} is in use by ${who}`, { cause: err, ownerPid: owner?.pid })
    }
  }
}

/** The owner recorded in a locked database, read without taking any lock (best effort). */
function readOwner(path: string): OwnerInfo | undefined {
  let db: Db | undefined
  try {
    db = new (sqlite())(path, { readonly: true, fileMustExist: true, timeout: 500 })
    const rows = db.prepare("SELECT key, value FROM meta WHERE key IN ('owner', 'owner_pid', 'owner_host', 'owner_since')").all() as { key: string; value: string }[]
    const m = new Map(rows.map((r) => [r.key, r.value]))
    const pid = Number(m.get('owner_pid'))
    if (!Number.isInteger(pid) || pid <= 0) return undefined
    return { owner: m.get('owner') ?? 'an owner', pid, hostname: m.get('owner_host') ?? '', since: Number(m.get('owner_since')) }
  } catch {
    return undefined
  } finally {
    db?.close()
  }
}

function openDb(path: string, busyTimeout: number): Db {
  const db = new (sqlite())(path, { timeout: busyTimeout })
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    return db
  } catch (err) {
    db.close()
    throw err
  }
}

/** Creates the schema of a new database, or checks the version of an existing one. */
function ensureSchema(db: Db, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number
  if (version === 0) {
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get() as { n: number }
    if (tables.n > 0) throw new StateStoreError('ERR_STATE_CORRUPT', path, `state ${path} is a SQLite database but not a logferry state database (no schema version)`)
    db.exec(SCHEMA_V1)
    return
  }
  if (version !== STATE_SCHEMA_VERSION) {
    throw new StateStoreError(
      'ERR_STATE_VERSION',
      path,
      `state ${path} has schema version ${version}; this release of logferry reads version ${STATE_SCHEMA_VERSION} only (written by a newer release? use that release, or move the file aside to start afresh)`,
    )
  }
}

/** Writes a previous release's records; rows already present win (a rerun after a crash is a no-op). */
function importLegacy(db: Db, legacy: LegacyState, now: number): void {
  const item = db.prepare(
    'INSERT OR IGNORE INTO items (queue, id, status, attempts, last_error, payload, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  )
  for (const i of legacy.items ?? []) {
    item.run(i.queue, i.id, i.status, i.attempts ?? 0, i.lastError ?? null, JSON.stringify(i.payload ?? null), i.createdAt ?? now, now)
  }
  const done = db.prepare('INSERT OR IGNORE INTO done (scope, key, size, mtime_ms, checksum, done_at) VALUES (?, ?, ?, ?, ?, ?)')
  for (const d of legacy.done ?? []) {
    done.run(d.scope, d.key, d.fingerprint.size ?? null, d.fingerprint.mtimeMs ?? null, d.fingerprint.checksum ?? null, d.doneAt)
  }
}

function writeOwner(db: Db, owner: OwnerInfo): void {
  const put = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)')
  put.run('owner', owner.owner)
  put.run('owner_pid', String(owner.pid))
  put.run('owner_host', owner.hostname)
  put.run('owner_since', String(owner.since))
}

function openReadOnly(path: string, busyTimeout: number): StateStore {
  let db: Db | undefined
  try {
    db = new (sqlite())(path, { readonly: true, fileMustExist: true, timeout: busyTimeout })
    const version = db.pragma('user_version', { simple: true }) as number
    if (version === 0) throw new StateStoreError('ERR_STATE_CORRUPT', path, `state ${path} is not a logferry state database (no schema version)`)
    if (version !== STATE_SCHEMA_VERSION) ensureSchema(db, path) // throws ERR_STATE_VERSION
    const owner = readOwner(path) ?? { owner: 'unknown', pid: 0, hostname: '', since: 0 }
    return new SqliteStateStore(path, db, undefined, owner, busyTimeout)
  } catch (err) {
    db?.close()
    throw toStateError(err, path, busyTimeout)
  }
}

export function openSqliteStateStore(path: string, options: OpenStateStoreOptions): StateStore {
  const busyTimeout = options.busyTimeout ?? DEFAULT_BUSY_TIMEOUT_MS
  if (options.readOnly) return openReadOnly(path, busyTimeout)
  let lock: Db | undefined
  let db: Db | undefined
  try {
    mkdirSync(dirname(path), { recursive: true })
    lock = takeLock(path)
    const ownerInfo: OwnerInfo = { owner: options.owner, pid: process.pid, hostname: hostname(), since: Date.now() }
    let legacy = options.legacy?.read()
    const existed = existsSync(path)
    if (existed && !isSqliteFile(path)) {
      if (!legacy || !options.legacy?.replacesFile) {
        throw new StateStoreError('ERR_STATE_CORRUPT', path, `state ${path} is not a logferry state database (not a SQLite file)`)
      }
      // The previous release's file is where the database goes: build the database beside it,
      // then rename it over the old file (atomic: either file is whole at every moment).
      const tmp = `${path}.migrating`
      removeDb(tmp)
      const fresh = openDb(tmp, busyTimeout)
      try {
        const imported = legacy
        fresh.transaction(() => {
          ensureSchema(fresh, tmp)
          importLegacy(fresh, imported, ownerInfo.since)
        }).immediate()
        fresh.pragma('wal_checkpoint(TRUNCATE)')
      } finally {
        fresh.close()
      }
      fsyncFile(tmp)
      options.legacy.retire()
      renameSync(tmp, path)
      fsyncFile(dirname(path))
      legacy = undefined
    }
    db = openDb(path, busyTimeout)
    const opened = db
    const pending = legacy
    opened.transaction(() => {
      ensureSchema(opened, path)
      if (pending) importLegacy(opened, pending, ownerInfo.since)
      writeOwner(opened, ownerInfo)
    }).immediate()
    if (!existed) fsyncFile(dirname(path))
    if (pending) options.legacy?.retire()
    return new SqliteStateStore(path, opened, lock, ownerInfo, busyTimeout)
  } catch (err) {
    db?.close()
    lock?.close()
    throw toStateError(err, path, busyTimeout)
  }
}

function toItem<P>(r: ItemRow): Item<P> {
  return {
    queue: r.queue,
    id: r.id,
    status: r.status,
    attempts: r.attempts,
    lastError: r.last_error ?? undefined,
    payload: JSON.parse(r.payload) as P,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

function toDone(r: DoneRow): DoneRecord {
  const fingerprint: Fingerprint = {}
  if (r.size !== null) fingerprint.size = r.size
  if (r.mtime_ms !== null) fingerprint.mtimeMs = r.mtime_ms
  if (r.checksum !== null) fingerprint.checksum = r.checksum
  return { scope: r.scope, key: r.key, fingerprint, doneAt: r.done_at }
}

class SqliteStateStore implements StateStore {
  readonly path: string
  readonly ownerInfo: OwnerInfo
  readonly #busyTimeout: number
  #db: Db | undefined
  #lock: Db | undefined
  readonly #stmts = new Map<string, BetterSqlite3.Statement>()

  constructor(path: string, db: Db, lock: Db | undefined, ownerInfo: OwnerInfo, busyTimeout: number) {
    this.path = path
    this.#db = db
    this.#lock = lock
    this.ownerInfo = ownerInfo
    this.#busyTimeout = busyTimeout
  }

  #run<T>(fn: (db: Db) => T): T {
    const db = this.#db
    if (!db) throw new StateStoreError('ERR_STATE_CLOSED', this.path, `state ${this.path} is closed`)
    try {
      return fn(db)
    } catch (err) {
      throw toStateError(err, this.path, this.#busyTimeout)
    }
  }

  #stmt(db: Db, sql: string): BetterSqlite3.Statement {
    let s = this.#stmts.get(sql)
    if (!s) {
      s = db.prepare(sql)
      this.#stmts.set(sql, s)
    }
    return s
  }

  put<P>(queue: string, item: ItemInput<P>): Item<P> {
    return this.#run((db) => {
      const now = Date.now()
      const row = this.#stmt(
        db,
        `INSERT INTO items (queue, id, status, attempts, last_error, payload, created_at, updated_at)
         VALUES (@queue, @id, @status, coalesce(@attempts, 0), @lastError, @payload, coalesce(@createdAt, @now), @now)
         ON CONFLICT (queue, id) DO UPDATE SET status = excluded.status, attempts = coalesce(@attempts, items.attempts),
           last_error = excluded.last_error, payload = excluded.payload, created_at = coalesce(@createdAt, items.created_at),
           updated_at = excluded.updated_at
         RETURNING *`,
      ).get({
        queue,
        id: item.id,
        status: item.status,
        attempts: item.attempts ?? null,
        lastError: item.lastError ?? null,
        payload: JSON.stringify(item.payload ?? null),
        createdAt: item.createdAt ?? null,
        now,
      }) as ItemRow
      return toItem<P>(row)
    })
  }

  get<P = unknown>(queue: string, id: string): Item<P> | undefined {
    return this.#run((db) => {
      const r = this.#stmt(db, 'SELECT * FROM items WHERE queue = ? AND id = ?').get(queue, id) as ItemRow | undefined
      return r && toItem<P>(r)
    })
  }

  list<P = unknown>(queue: string, options: ListOptions = {}): Item<P>[] {
    return this.#run((db) => {
      const statuses = options.status === undefined ? undefined : typeof options.status === 'string' ? [options.status] : [...options.status]
      const where = statuses ? ` AND status IN (${statuses.map(() => '?').join(', ')})` : ''
      const limit = options.limit !== undefined ? ' LIMIT ?' : ''
      const params: unknown[] = [queue, ...(statuses ?? []), ...(options.limit !== undefined ? [options.limit] : [])]
      const rows = this.#stmt(db, `SELECT * FROM items WHERE queue = ?${where} ORDER BY created_at, id${limit}`).all(...params) as ItemRow[]
      return rows.map((r) => toItem<P>(r))
    })
  }

  counts(queue: string): Record<string, number> {
    return this.#run((db) => {
      const rows = this.#stmt(db, 'SELECT status, count(*) AS n FROM items WHERE queue = ? GROUP BY status').all(queue) as { status: string; n: number }[]
      return Object.fromEntries(rows.map((r) => [r.status, r.n]))
    })
  }

  remove(queue: string, id: string): boolean {
    return this.#run((db) => this.#stmt(db, 'DELETE FROM items WHERE queue = ? AND id = ?').run(queue, id).changes > 0)
  }

  markDone(scope: string, key: string, fingerprint: Fingerprint, complete?: { queue: string; id: string }): void {
    this.#run((db) => {
      const write = (): void => {
        this.#stmt(
          db,
          `INSERT INTO done (scope, key, size, mtime_ms, checksum, done_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (scope, key) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms,
             checksum = excluded.checksum, done_at = excluded.done_at`,
        ).run(scope, key, fingerprint.size ?? null, fingerprint.mtimeMs ?? null, fingerprint.checksum ?? null, Date.now())
        if (complete) this.#stmt(db, 'DELETE FROM items WHERE queue = ? AND id = ?').run(complete.queue, complete.id)
      }
      if (complete && !db.inTransaction) db.transaction(write).immediate()
      else write()
    })
  }

  getDone(scope: string, key: string): DoneRecord | undefined {
    return this.#run((db) => {
      const r = this.#stmt(db, 'SELECT * FROM done WHERE scope = ? AND key = ?').get(scope, key) as DoneRow | undefined
      return r && toDone(r)
    })
  }

  isDone(scope: string, key: string, fingerprint: Fingerprint): boolean {
    const d = this.getDone(scope, key)
    if (!d) return false
    return (Object.keys(fingerprint) as (keyof Fingerprint)[]).every((k) => fingerprint[k] === undefined || d.fingerprint[k] === fingerprint[k])
  }

  listDone(scope: string): DoneRecord[] {
    return this.#run((db) => (this.#stmt(db, 'SELECT * FROM done WHERE scope = ? ORDER BY key').all(scope) as DoneRow[]).map(toDone))
  }

  forgetDone(scope: string, keys: Iterable<string>): number {
    return this.#run((db) =>
      db.transaction(() => {
        const del = this.#stmt(db, 'DELETE FROM done WHERE scope = ? AND key = ?')
        let n = 0
        for (const k of keys) n += del.run(scope, k).changes
        return n
      }).immediate(),
    )
  }

  retainDone(scope: string, keep: ReadonlySet<string>): number {
    return this.#run((db) => {
      const keys = this.#stmt(db, 'SELECT key FROM done WHERE scope = ?').pluck().all(scope) as string[]
      const gone = keys.filter((k) => !keep.has(k))
      return gone.length === 0 ? 0 : this.forgetDone(scope, gone)
    })
  }

  transaction<T>(fn: () => T): T {
    return this.#run((db) => (db.inTransaction ? db.transaction(fn)() : db.transaction(fn).immediate()))
  }

  close(): void {
    const db = this.#db
    if (!db) return
    this.#db = undefined
    this.#stmts.clear()
    try {
      if (this.#lock) db.pragma('wal_checkpoint(TRUNCATE)')
    } catch {
      // a reader holds the WAL: it is checkpointed by the next owner
    }
    try {
      db.close()
    } finally {
      this.#lock?.close()
      this.#lock = undefined
    }
  }
}
