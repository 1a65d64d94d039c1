/**
 * What `logferry serve` keeps across restarts, in the project's state store (SQLite, WAL,
 * synchronous=FULL: a committed write survives kill -9): each catalogued file (category,
 * fingerprint, where its error scan stopped and its counts), its last error events, the status
 * of each source, the last sync, and the files retention retired. A restart then neither
 * rescans a file's errors nor forgets a source's history; the mirror itself is on disk.
 * One owner per data directory: a second service on it gets ERR_STATE_LOCKED.
 */
import { join } from 'node:path'
import { openStateStore, type Fingerprint, type StateStore } from '../delivery/state-store.js'
import type { ErrorEvent, ScanState } from './errors/scanner.js'
import type { SourceStatus, SyncResult } from './types.js'

export interface PersistedFile {
  source: string
  sourcePath: string
  service: string
  size: number
  mtimeMs: number
  ino: number
  scan?: ScanState
}

/** Events a scan found; `fresh`: it scanned the file from its start (the old events are void). */
export interface NewEvents {
  fresh: boolean
  events: ErrorEvent[]
}

export interface StoredEvents {
  key: string
  service: string
  events: ErrorEvent[]
}

const FILES = 'files'
const EVENTS = 'error-events'
const SOURCES = 'sources'
const SYNCS = 'syncs'
const retiredScope = (source: string): string => `retired:${source}`

export class ServiceState {
  readonly #store: StateStore

  private constructor(store: StateStore) {
    this.#store = store
  }

  static open(dataDir: string): ServiceState {
    return new ServiceState(openStateStore(join(dataDir, 'state', 'service.db'), { owner: 'logferry serve' }))
  }

  get path(): string {
    return this.#store.path
  }

  files(): PersistedFile[] {
    return this.#store.list<PersistedFile>(FILES).map((i) => i.payload)
  }

  /** One transaction: files changed and removed, and the new error events of each (the newest `maxEvents` kept). */
  saveFiles(changed: Iterable<PersistedFile>, removed: Iterable<string>, events: ReadonlyMap<string, NewEvents>, maxEvents: number): void {
    this.#store.transaction(() => {
      for (const f of changed) {
        const key = `${f.source}/${f.sourcePath}`
        this.#store.put(FILES, { id: key, status: f.service, payload: f })
        const add = events.get(key)
        const old = this.#store.get<ErrorEvent[]>(EVENTS, key)
        // A rescan from the start (new inode, shrunk file) replaces the file's events.
        const base = add !== undefined && !add.fresh && old !== undefined ? old.payload : []
        const all = add === undefined ? old?.payload : [...base, ...add.events].slice(-maxEvents)
        if (all !== undefined && all.length > 0) this.#store.put(EVENTS, { id: key, status: f.service, payload: all })
        else if (old !== undefined) this.#store.remove(EVENTS, key)
      }
      for (const key of removed) {
        this.#store.remove(FILES, key)
        this.#store.remove(EVENTS, key)
      }
    })
  }

  events(service?: string): StoredEvents[] {
    return this.#store.list<ErrorEvent[]>(EVENTS, service === undefined ? {} : { status: service }).map((i) => ({ key: i.id, service: i.status, events: i.payload }))
  }

  sources(): SourceStatus[] {
    return this.#store.list<SourceStatus>(SOURCES).map((i) => i.payload)
  }

  saveSync(result: SyncResult, sources: readonly SourceStatus[]): void {
    this.#store.transaction(() => {
      this.#store.put(SYNCS, { id: 'last', status: result.outcome, payload: result })
      for (const s of sources) this.#store.put(SOURCES, { id: s.name, status: s.lastOutcome ?? 'never', payload: s })
    })
  }

  lastSync(): SyncResult | undefined {
    return this.#store.get<SyncResult>(SYNCS, 'last')?.payload
  }

  /** Paths of `source` retention compressed or deleted: the sync does not fetch them again. */
  retired(source: string): Set<string> {
    return new Set(this.#store.listDone(retiredScope(source)).map((d) => d.key))
  }

  retire(source: string, path: string, fingerprint: Fingerprint): void {
    this.#store.markDone(retiredScope(source), path, fingerprint)
  }

  close(): void {
    this.#store.close()
  }
}
