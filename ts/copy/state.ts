/**
 * The persisted memory of a copy job: (size, mtime) of each file at its last successful copy, as
 * done records (scope `copied`, key the absolute local path) of the delivery state store. The
 * database is the file at `statePath` (default `{stateDir}/{name}.json`, the previous release's
 * name, so an existing job finds its state); the store's lock makes it one job per state file,
 * across processes. A previous release's JSON state at `statePath` is migrated on the first open
 * (a copy of it is kept as `{statePath}.v1`); a damaged one is kept as `{statePath}.damaged` and
 * the job starts afresh, as before (docs/delivery.md, "State").
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs'
import { isSqliteFile } from '../delivery/sqlite-state-store.js'
import { openStateStore, type DoneRecord, type LegacyLayout, type StateStore } from '../delivery/state-store.js'

export interface FileStamp {
  size: number
  mtimeMs: number
}

/** The previous release's file (version 1). */
interface StateFile {
  version: 1
  files: Record<string, FileStamp>
}

const SCOPE = 'copied'

/** The version-1 JSON file at `path`, imported into the database that replaces it. */
function jsonStateFile(path: string, onDamaged: (err: Error) => void): LegacyLayout {
  let damaged = false
  return {
    replacesFile: true,
    read() {
      if (!existsSync(path) || isSqliteFile(path)) return undefined
      const now = Date.now()
      try {
        const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<StateFile>
        if (parsed.version !== 1 || typeof parsed.files !== 'object' || parsed.files === null) throw new Error('unknown state format')
        const done: DoneRecord[] = []
        for (const [k, v] of Object.entries(parsed.files)) {
          if (typeof v?.size === 'number' && typeof v.mtimeMs === 'number') done.push({ scope: SCOPE, key: k, fingerprint: { size: v.size, mtimeMs: v.mtimeMs }, doneAt: now })
        }
        return { done }
      } catch (err) {
        damaged = true
        onDamaged(new Error(`copy state ${path} is damaged, starting afresh (kept as ${path}.damaged): ${(err as Error).message}`))
        return { done: [] }
      }
    },
    retire() {
      copyFileSync(path, `${path}${damaged ? '.damaged' : '.v1'}`)
    },
  }
}

export class CopyState {
  readonly path: string
  readonly #owner: string
  #store: StateStore | undefined
  /** Copies of this run, written in one transaction by save(). */
  readonly #pending = new Map<string, FileStamp>()

  constructor(path: string, owner = 'copy job') {
    this.path = path
    this.#owner = owner
  }

  /**
   * Opens the state (taking its lock; migrating a previous release's file). Resolves with a
   * warning for a damaged previous-release file; rejects with a StateStoreError when the state
   * cannot be opened (ERR_STATE_LOCKED: another process runs this job; ERR_STATE_VERSION, ...).
   */
  async load(): Promise<Error | undefined> {
    if (this.#store) return undefined
    let warning: Error | undefined
    this.#store = openStateStore(this.path, { owner: this.#owner, legacy: jsonStateFile(this.path, (e) => (warning = e)) })
    return warning
  }

  /** True when `path` was copied before with exactly this size and mtime. */
  unchanged(path: string, stamp: FileStamp): boolean {
    const p = this.#pending.get(path)
    if (p) return p.size === stamp.size && p.mtimeMs === stamp.mtimeMs
    return this.#store?.isDone(SCOPE, path, { size: stamp.size, mtimeMs: stamp.mtimeMs }) ?? false
  }

  record(path: string, stamp: FileStamp): void {
    this.#pending.set(path, { size: stamp.size, mtimeMs: stamp.mtimeMs })
  }

  /** Forgets files that no longer exist locally, so the state does not grow forever. */
  retain(existing: ReadonlySet<string>): void {
    for (const k of this.#pending.keys()) if (!existing.has(k)) this.#pending.delete(k)
    this.#store?.retainDone(SCOPE, existing)
  }

  /** Writes this run's copies (one transaction, committed to disk). */
  async save(): Promise<void> {
    const store = this.#store
    if (!store || this.#pending.size === 0) return
    store.transaction(() => {
      for (const [path, s] of this.#pending) store.markDone(SCOPE, path, s)
    })
    this.#pending.clear()
  }

  /** Releases the lock (unsaved copies are dropped: they are copied again next time). */
  close(): void {
    const s = this.#store
    this.#store = undefined
    s?.close()
  }
}

/** The stamps a copy state holds, read without its lock (while its job may run). */
export function readCopyState(statePath: string): Map<string, FileStamp> {
  const s = openStateStore(statePath, { owner: 'reader', readOnly: true })
  try {
    return new Map(s.listDone(SCOPE).map((d) => [d.key, { size: d.fingerprint.size ?? -1, mtimeMs: d.fingerprint.mtimeMs ?? -1 }]))
  } finally {
    s.close()
  }
}
