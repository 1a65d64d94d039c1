/** The core of the logs service: what the HTTP side reads (status, categories, files) and triggers (syncs). */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Catalog } from './categorize/catalog.js'
import type { SyncRunner } from './sync/sync-runner.js'
import type { CategoryInfo, ErrorList, ErrorQuery, FileList, FileQuery, LogsServiceCore, ServiceLog, ServiceSettings, ServiceStatus, SyncResult, SyncStartEvent, TriggeredSync } from './types.js'

/** The package's version: the nearest package.json named logferry above this module (ts/, dist/ or a dist chunk). */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'logferry') return pkg.version ?? '0.0.0'
    } catch {
      // not here: one level up
    }
    dir = dirname(dir)
  }
  return '0.0.0'
}

export class LogsCore implements LogsServiceCore {
  readonly settings: ServiceSettings
  readonly version = packageVersion()
  readonly dataDir: string
  readonly logsDir: string
  readonly categorizedDir: string
  readonly log: ServiceLog
  readonly #catalog: Catalog
  readonly #runner: SyncRunner
  readonly #startedAt = new Date()

  constructor(o: { settings: ServiceSettings; log: ServiceLog; catalog: Catalog; runner: SyncRunner }) {
    this.settings = o.settings
    this.dataDir = o.settings.dataDir
    this.logsDir = join(this.dataDir, 'logs')
    this.categorizedDir = join(this.dataDir, 'categorized')
    this.log = o.log
    this.#catalog = o.catalog
    this.#runner = o.runner
  }

  status(): ServiceStatus {
    return {
      name: 'logferry',
      version: this.version,
      startedAt: this.#startedAt.toISOString(),
      uptimeSeconds: Math.round((Date.now() - this.#startedAt.getTime()) / 1000),
      dataDir: this.dataDir,
      syncInterval: this.settings.syncInterval,
      syncing: this.#runner.runningId,
      syncCount: this.#runner.syncCount,
      lastSync: this.#runner.lastSync,
      nextSyncAt: this.#runner.nextSyncAt,
      sources: this.#runner.sources(),
    }
  }

  triggerSync(): TriggeredSync {
    return this.#runner.trigger('manual')
  }

  categories(): CategoryInfo[] {
    return this.#catalog.categories()
  }

  files(query?: FileQuery): FileList {
    return this.#catalog.files(query, this.settings.limits.defaultLimit)
  }

  errors(query?: ErrorQuery): ErrorList {
    return this.#catalog.errors({ ...query, limit: query?.limit ?? this.settings.limits.defaultLimit })
  }

  on(event: 'sync', listener: (r: SyncResult) => void): this
  on(event: 'syncStart', listener: (e: SyncStartEvent) => void): this
  on(event: 'sync' | 'syncStart', listener: ((r: SyncResult) => void) | ((e: SyncStartEvent) => void)): this {
    if (event === 'sync') this.#runner.on('sync', listener as (r: SyncResult) => void)
    else this.#runner.on('syncStart', listener as (e: SyncStartEvent) => void)
    return this
  }

  off(event: 'sync', listener: (r: SyncResult) => void): this
  off(event: 'syncStart', listener: (e: SyncStartEvent) => void): this
  off(event: 'sync' | 'syncStart', listener: ((r: SyncResult) => void) | ((e: SyncStartEvent) => void)): this {
    if (event === 'sync') this.#runner.off('sync', listener as (r: SyncResult) => void)
    else this.#runner.off('syncStart', listener as (e: SyncStartEvent) => void)
    return this
  }
}
