/**
 * The uploader's queue on the delivery state store (`{stateDir}/state.db`, docs/delivery.md,
 * "State"): every queued file is an item of the `uploads` queue, written (committed, fsynced)
 * before its upload starts; an uploaded file becomes a done record of scope `uploaded` in the
 * same transaction that removes its item, before the file is deleted. An entry found done on
 * start is finished, not uploaded again. One uploader per state directory: a second one (in
 * this process or another) gets ERR_INVALID_CONFIG naming stateDir and the owner's pid.
 *
 * The previous release's layout (queue/*.json, done.jsonl, a pid `lock` file) is imported on the
 * first open, in one transaction, and then moved into `{stateDir}/previous-layout/`.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { isStateStoreError, openStateStore, StateStoreError, type Item, type ItemInput, type LegacyLayout, type LegacyState, type StateStore as DeliveryStateStore } from '../delivery/state-store.js'
import { configError } from '../errors.js'
import type { EntryStatus, QueueEntry, QueuePayload } from './queue-entry.js'

/** The queue of files to upload, and the scope of uploaded files, in the store. */
const QUEUE = 'uploads'
const DONE = 'uploaded'

export function entryId(path: string): string {
  return createHash('sha256').update(path).digest('hex').slice(0, 32)
}

/** The state database of an uploader state directory. */
export function stateDbPath(stateDir: string): string {
  return join(stateDir, 'state.db')
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function toItem(e: QueueEntry): ItemInput<QueuePayload> {
  return {
    id: e.id,
    status: e.status,
    attempts: e.attempts,
    lastError: e.lastError,
    payload: { path: e.path, event: e.event, objectName: e.objectName, size: e.size, queuedAt: e.queuedAt },
    createdAt: e.queuedAt,
  }
}

function toEntry(i: Item<QueuePayload>): QueueEntry {
  const e: QueueEntry = { id: i.id, ...i.payload, status: i.status as EntryStatus, attempts: i.attempts }
  if (i.lastError !== undefined) e.lastError = i.lastError
  return e
}

/** The layout of the release before the state store: one JSON file per entry, a done log, a pid lock. */
function previousLayout(dir: string): LegacyLayout {
  const queueDir = join(dir, 'queue')
  const donePath = join(dir, 'done.jsonl')
  const lockPath = join(dir, 'lock')
  return {
    read(): LegacyState | undefined {
      if (!existsSync(queueDir) && !existsSync(donePath) && !existsSync(lockPath)) return undefined
      // An uploader of the previous release may still run on this directory: its pid lock counts.
      const owner = Number(existsSync(lockPath) ? readFileSync(lockPath, 'utf8').trim() : '')
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new StateStoreError('ERR_STATE_LOCKED', stateDbPath(dir), `state ${dir} is in use by process ${owner} (previous release's lock file)`, { ownerPid: owner })
      }
      const items: LegacyState['items'] = []
      for (const name of existsSync(queueDir) ? readdirSync(queueDir).sort() : []) {
        if (!name.endsWith('.json')) continue // `.tmp` files were never renamed into place: not queued
        let e: QueueEntry
        try {
          e = JSON.parse(readFileSync(join(queueDir, name), 'utf8')) as QueueEntry
        } catch {
          continue // the old store skipped unreadable entries too
        }
        if (typeof e.path !== 'string' || typeof e.size !== 'number') continue
        items.push({ queue: QUEUE, ...toItem({ ...e, id: e.id || entryId(e.path), attempts: e.attempts ?? 0, status: e.status === 'failed' ? 'failed' : 'pending' }) })
      }
      const done: LegacyState['done'] = []
      const now = Date.now()
      const text = existsSync(donePath) ? readFileSync(donePath, 'utf8') : ''
      for (const line of text.split('\n')) {
        if (!line) continue
        try {
          const r = JSON.parse(line) as { path?: unknown; size?: unknown }
          if (typeof r.path === 'string' && typeof r.size === 'number') done.push({ scope: DONE, key: r.path, fingerprint: { size: r.size }, doneAt: now })
        } catch {
          // a line torn by a crash: the old store dropped it too
        }
      }
      return { items, done }
    },
    retire(): void {
      const aside = join(dir, 'previous-layout')
      mkdirSync(aside, { recursive: true })
      for (const [from, name] of [[queueDir, 'queue'], [donePath, 'done.jsonl']] as const) {
        if (!existsSync(from)) continue
        rmSync(join(aside, name), { recursive: true, force: true })
        renameSync(from, join(aside, name))
      }
      rmSync(lockPath, { force: true })
    },
  }
}

export class StateStore {
  readonly dir: string
  #store: DeliveryStateStore | undefined

  constructor(dir: string) {
    this.dir = dir
  }

  get #db(): DeliveryStateStore {
    if (!this.#store) throw new StateStoreError('ERR_STATE_CLOSED', stateDbPath(this.dir), `uploader state ${this.dir} is not open`)
    return this.#store
  }

  /** Opens the store (taking its lock, migrating the previous layout) and loads the queue (pending and failed entries). */
  async open(): Promise<QueueEntry[]> {
    try {
      this.#store = openStateStore(stateDbPath(this.dir), { owner: 'uploader', legacy: previousLayout(this.dir) })
    } catch (err) {
      if (!isStateStoreError(err, 'ERR_STATE_LOCKED')) throw err
      const by = err.ownerPid === process.pid ? 'another uploader of this process' : err.ownerPid ? `process ${err.ownerPid}` : 'another process'
      const e = configError('range', `uploader option stateDir ${this.dir} is in use by ${by}`)
      Object.defineProperty(e, 'cause', { value: err })
      throw e
    }
    const db = this.#store
    // Done records of files that no longer exist locally are forgotten, so the state does not grow forever.
    const gone: string[] = []
    for (const d of db.listDone(DONE)) {
      if (!(await stat(d.key).then(() => true, () => false))) gone.push(d.key)
    }
    if (gone.length > 0) db.forgetDone(DONE, gone)
    const entries: QueueEntry[] = []
    for (const item of db.list<QueuePayload>(QUEUE)) {
      const e = toEntry(item)
      if (this.isDone(e.path, e.size)) {
        db.remove(QUEUE, e.id)
        continue
      }
      entries.push(e)
    }
    return entries.sort((a, b) => a.queuedAt - b.queuedAt)
  }

  isDone(path: string, size: number): boolean {
    return this.#db.isDone(DONE, path, { size })
  }

  /** Writes (or replaces) an entry durably. */
  async save(entry: QueueEntry): Promise<void> {
    this.#db.put(QUEUE, toItem(entry))
  }

  /** Records an upload as done and removes its entry, in one transaction. */
  async finish(entry: QueueEntry): Promise<void> {
    this.#db.markDone(DONE, entry.path, { size: entry.size }, { queue: QUEUE, id: entry.id })
  }

  /** Releases the lock. */
  async close(): Promise<void> {
    const s = this.#store
    this.#store = undefined
    s?.close()
  }
}

/** What an uploader state directory holds, read without its lock (while its owner may run). */
export function readUploaderState(stateDir: string): { queued: QueueEntry[]; done: { path: string; size: number }[] } {
  const s = openStateStore(stateDbPath(stateDir), { owner: 'reader', readOnly: true })
  try {
    return {
      queued: s.list<QueuePayload>(QUEUE).map(toEntry),
      done: s.listDone(DONE).map((d) => ({ path: d.key, size: d.fingerprint.size ?? -1 })),
    }
  } finally {
    s.close()
  }
}
