/**
 * createLogsService: settings resolved and checked, data directories made, the catalog
 * reconciled with the rules, the HTTP server (loaded lazily) listening, then a sync at start
 * and every `syncInterval` seconds after the previous one ended. `stop()` stops accepting
 * requests, lets the running sync finish (or aborts it after `stopTimeout`), closes the SSH
 * connections and the service log.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Catalog } from './categorize/catalog.js'
import { createCategorizer } from './categorize/rules.js'
import { LogsCore } from './core.js'
import { createClassifier } from './errors/classifier.js'
import { hasRetention, runRetention } from './retention/retention.js'
import { createServiceLog } from './service-log.js'
import { ServiceState } from './service-state.js'
import { resolveSettings, type ServiceOptions } from './settings.js'
import type { Fetcher } from './sync/fetcher.js'
import { createRsyncFetcher } from './sync/rsync-fetcher.js'
import { fetchWithStorage } from './sync/storage-fetcher.js'
import { SyncRunner } from './sync/sync-runner.js'
import type { HttpServer, LogsService, ServiceSettings, SourceSettings } from './types.js'

export interface CreateLogsServiceOptions extends ServiceOptions {
  /** Also write the service's JSON log lines here (the CLI: stdout). */
  logStream?: NodeJS.WritableStream
  /** Serve the HTTP API (default true). */
  http?: boolean
  /** Sync once at start (default true). */
  syncOnStart?: boolean
}

function storageFetcher(source: SourceSettings, spec: string, method: 'storage' | 'local', s: ServiceSettings, state: ServiceState): Fetcher {
  return {
    source,
    plannedMethod: method,
    fetch: (dest, signal) => fetchWithStorage(dest, { source: spec, method, retries: s.retries, retryDelay: s.retryDelay, signal, excluded: state.retired(source.name) }),
    close: async () => undefined,
  }
}

export async function createLogsService(options: CreateLogsServiceOptions = {}): Promise<LogsService> {
  const { logStream, http: serveHttp, syncOnStart, ...serviceOptions } = options
  const settings = resolveSettings(serviceOptions)
  const logsDir = join(settings.dataDir, 'logs')
  const categorizedDir = join(settings.dataDir, 'categorized')
  mkdirSync(logsDir, { recursive: true })
  mkdirSync(categorizedDir, { recursive: true })
  const log = createServiceLog(settings.dataDir, settings.logLevel, logStream)
  // The state of the last run (and the data directory's owner lock: ERR_STATE_LOCKED for a second service).
  let store: ServiceState
  try {
    store = ServiceState.open(settings.dataDir)
  } catch (err) {
    await log.close()
    throw err
  }
  // Unix socket paths are short (~104 bytes): the ssh control sockets live in a short private temp dir.
  let controlDir: string | undefined
  const fetchers = settings.sources.map((src): Fetcher => {
    switch (src.kind) {
      case 'rsync':
        controlDir ??= mkdtempSync(join(tmpdir(), 'lf-ssh-'))
        if (src.knownHostsFile) mkdirSync(dirname(src.knownHostsFile), { recursive: true, mode: 0o700 })
        return createRsyncFetcher(src, { controlDir, retries: settings.retries, retryDelay: settings.retryDelay, rsyncTimeout: settings.rsyncTimeout, log, retired: () => store.retired(src.name) })
      case 'storage':
        return storageFetcher(src, src.url, 'storage', settings, store)
      case 'local':
        mkdirSync(src.path, { recursive: true })
        return storageFetcher(src, src.path, 'local', settings, store)
    }
  })
  const categorizer = createCategorizer(settings.rules)
  const catalog = new Catalog({ logsDir, categorizedDir, categorizer, onWarning: (m, f) => log.warn(m, f), state: store, classifier: createClassifier(settings.errors), maxEvents: settings.errors.maxEventsPerFile })
  const sourceNames = settings.sources.map((s) => s.name)
  const runner = new SyncRunner({
    logsDir,
    fetchers,
    catalog,
    log,
    restored: { sources: store.sources(), lastSync: store.lastSync() },
    afterCatalog: hasRetention(settings.retention) ? async () => void (await runRetention({ catalog, state: store, logsDir, settings: settings.retention, sources: sourceNames, log })) : undefined,
    onResult: (r, sources) => store.saveSync(r, sources),
  })
  const core = new LogsCore({ settings, log, catalog, runner })

  let http: HttpServer | undefined
  let url: string | undefined
  let timer: NodeJS.Timeout | undefined
  let state: 'new' | 'started' | 'stopping' | 'stopped' = 'new'

  const schedule = (): void => {
    if (state !== 'started' || settings.syncInterval <= 0) {
      runner.nextSyncAt = undefined
      return
    }
    clearTimeout(timer)
    const ms = settings.syncInterval * 1000
    runner.nextSyncAt = new Date(Date.now() + ms).toISOString()
    timer = setTimeout(() => {
      if (state === 'started') runner.trigger('interval')
    }, ms)
  }
  // The interval counts from the end of the previous sync, whoever triggered it.
  runner.on('sync', schedule)

  return {
    core,
    get url() {
      return url
    },
    async start() {
      if (state !== 'new') throw new Error(`the logs service cannot start: it is ${state}`)
      state = 'started'
      try {
        const linked = await catalog.reconcile(settings.sources.map((s) => s.name))
        log.info('catalog ready', { files: catalog.size, linked })
        if (serveHttp !== false) {
          const { createHttpServer } = await import('./http/server.js')
          http = createHttpServer(core, settings)
          url = await http.listen()
        }
      } catch (err) {
        state = 'stopped'
        await http?.close().catch(() => undefined)
        store.close()
        await log.close()
        if (controlDir) rmSync(controlDir, { recursive: true, force: true })
        throw err
      }
      log.info('logs service started', { url, dataDir: settings.dataDir, sources: settings.sources.map((s) => ({ name: s.name, kind: s.kind })), syncInterval: settings.syncInterval })
      if (syncOnStart !== false) runner.trigger('start')
      else schedule()
    },
    async stop() {
      if (state === 'stopping' || state === 'stopped') return
      const wasStarted = state === 'started'
      state = 'stopping'
      clearTimeout(timer)
      runner.nextSyncAt = undefined
      if (wasStarted) log.info('logs service stopping', { syncing: runner.runningId })
      await http?.close()
      await runner.settle(settings.stopTimeout)
      await Promise.all(fetchers.map((f) => f.close().catch(() => undefined)))
      if (controlDir) rmSync(controlDir, { recursive: true, force: true })
      store.close()
      log.info('logs service stopped')
      await log.close()
      state = 'stopped'
    },
  }
}
