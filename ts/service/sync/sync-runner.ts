/**
 * Runs syncs: every source fetched (in parallel), the changed files categorised, per-source
 * status kept. Never two syncs at once: a trigger while one runs joins it.
 */
import { EventEmitter } from 'node:events'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Catalog } from '../categorize/catalog.js'
import type { ServiceLog, SourceStatus, SourceSyncResult, SyncErrorInfo, SyncOutcome, SyncResult, SyncStartEvent, SyncTrigger, TriggeredSync } from '../types.js'
import type { Fetcher } from './fetcher.js'
import { traceSync } from './sync-trace.js'

const RANK: Record<SyncOutcome, number> = { ok: 0, warning: 1, failed: 2, aborted: 3 }

function errorInfo(err: unknown): SyncErrorInfo {
  const e = err as { code?: unknown; message?: unknown; exitCode?: unknown }
  const code = typeof e?.code === 'string' ? e.code : 'ERR_SYNC_FAILED'
  const message = typeof e?.message === 'string' ? e.message : String(err)
  return { code, message: typeof e?.exitCode === 'number' ? `${message} (exit ${e.exitCode})` : message }
}

/** One error for a fetch that failed for some files while others came. */
function failureInfo(failures: { path: string; error: unknown }[]): SyncErrorInfo {
  const first = failures[0] as { path: string; error: unknown }
  const e = errorInfo(first.error)
  const head = failures.length === 1 ? `${first.path}` : `${failures.length} files failed, first ${first.path}`
  return { code: e.code, message: `${head}: ${e.message}` }
}

function isAbort(err: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (err instanceof Error && (err.name === 'AbortError' || (err as { code?: unknown }).code === 'ABORT_ERR'))
}

/** The counters and last-sync fields a restart keeps (not `nextSyncAt`). */
function pickTotals(s: SourceStatus | undefined): Partial<SourceStatus> {
  if (!s) return {}
  const { nextSyncAt: _n, ...rest } = s
  return rest
}

interface Events {
  sync: [SyncResult]
  syncStart: [SyncStartEvent]
}

export interface SyncRunnerOptions {
  logsDir: string
  fetchers: Fetcher[]
  catalog: Catalog
  log: ServiceLog
  /** What the last run left (ts/service/service-state.ts): status per source and the last sync. */
  restored?: { sources: SourceStatus[]; lastSync?: SyncResult }
  /** Runs inside each sync once its files are catalogued (retention); errors are logged, not fatal. */
  afterCatalog?: () => Promise<void>
  /** Called with each result before it is announced (persistence). */
  onResult?: (r: SyncResult, sources: SourceStatus[]) => void
}

export class SyncRunner extends EventEmitter<Events> {
  readonly #o: SyncRunnerOptions
  readonly #status: Map<string, SourceStatus>
  #running: { id: string; done: Promise<SyncResult>; abort: AbortController } | undefined
  #seq = 0
  #last: SyncResult | undefined
  #count = 0
  /** Sources whose last fetch failed: files may have landed unreported, so the next sync looks at all of them. */
  readonly #dirty = new Set<string>()
  nextSyncAt: string | undefined

  constructor(o: SyncRunnerOptions) {
    super()
    this.#o = o
    this.#status = new Map(
      o.fetchers.map((f) => [
        f.source.name,
        {
          name: f.source.name,
          kind: f.source.kind,
          method: f.plannedMethod,
          filesTransferred: 0,
          bytesTransferred: 0,
          totalFilesTransferred: 0,
          totalBytesTransferred: 0,
          syncCount: 0,
          failureCount: 0,
          ...pickTotals(o.restored?.sources.find((s) => s.name === f.source.name && s.kind === f.source.kind)),
        },
      ]),
    )
    this.#last = o.restored?.lastSync
    this.#count = Math.max(0, ...[...this.#status.values()].map((s) => s.syncCount))
  }

  get runningId(): string | null {
    return this.#running?.id ?? null
  }

  get lastSync(): SyncResult | undefined {
    return this.#last
  }

  get syncCount(): number {
    return this.#count
  }

  sources(): SourceStatus[] {
    return [...this.#status.values()].map((s) => ({ ...s, nextSyncAt: this.nextSyncAt }))
  }

  trigger(trigger: SyncTrigger): TriggeredSync {
    if (this.#running) return { id: this.#running.id, joined: true, done: this.#running.done }
    const id = `sync-${Date.now().toString(36)}-${++this.#seq}`
    const abort = new AbortController()
    const done = this.#run(id, trigger, abort.signal).finally(() => {
      this.#running = undefined
    })
    this.#running = { id, done, abort }
    return { id, joined: false, done }
  }

  /** Waits for the running sync up to `timeoutMs`, then aborts it and waits for it to end. */
  async settle(timeoutMs: number): Promise<void> {
    const r = this.#running
    if (!r) return
    let timer: NodeJS.Timeout | undefined
    const finished = await Promise.race([r.done.then(() => true), new Promise<boolean>((res) => (timer = setTimeout(() => res(false), timeoutMs)))])
    clearTimeout(timer)
    if (!finished) {
      this.#o.log.warn('stopping: aborting the running sync', { id: r.id, timeoutMs })
      r.abort.abort(Object.assign(new Error('service stopping'), { name: 'AbortError', code: 'ABORT_ERR' }))
      await r.done
    }
  }

  async #run(id: string, trigger: SyncTrigger, signal: AbortSignal): Promise<SyncResult> {
    const started = new Date()
    this.emit('syncStart', { id, trigger, startedAt: started.toISOString() })
    traceSync('', 'start')
    this.#o.log.info('sync started', { id, trigger })
    let categorized = 0
    const sources = await Promise.all(
      this.#o.fetchers.map(async (f): Promise<SourceSyncResult> => {
        const t0 = new Date()
        const st = this.#status.get(f.source.name) as SourceStatus
        st.lastSyncStart = t0.toISOString()
        const base = { name: f.source.name, kind: f.source.kind }
        let r: SourceSyncResult
        try {
          const dest = join(this.#o.logsDir, f.source.name)
          await mkdir(dest, { recursive: true })
          // Files are categorised as they land, while the fetch goes on (after a failure the
          // reconcile looks at every file anyway).
          const feed = this.#dirty.has(f.source.name) ? undefined : this.#o.catalog.feed(f.source.name)
          let got
          try {
            got = await f.fetch(dest, signal, feed?.add)
          } catch (err) {
            await feed?.settle().catch(() => undefined)
            throw err
          }
          if (feed === undefined) {
            categorized += await this.#o.catalog.reconcile([f.source.name])
            this.#dirty.delete(f.source.name)
          } else {
            traceSync(f.source.name, 'fetched')
            const early = await feed.settle()
            traceSync(f.source.name, 'feed-settled')
            categorized += early.linked + (await this.#o.catalog.updateMany(f.source.name, got.changed.filter((p) => !early.done.has(p))))
            traceSync(f.source.name, 'categorized')
          }
          const failed = got.failures !== undefined && got.failures.length > 0
          const end = new Date()
          r = {
            ...base,
            method: got.method,
            outcome: failed ? 'failed' : got.warnings.some((w) => /vanished/.test(w)) ? 'warning' : 'ok',
            error: failed ? failureInfo(got.failures ?? []) : undefined,
            fallbackReason: got.fallbackReason,
            warnings: got.warnings,
            filesTransferred: got.filesTransferred,
            bytesTransferred: got.bytesTransferred,
            filesDeleted: got.filesDeleted,
            attempts: got.attempts,
            startedAt: t0.toISOString(),
            finishedAt: end.toISOString(),
            durationMs: end.getTime() - t0.getTime(),
          }
        } catch (err) {
          this.#dirty.add(f.source.name)
          const end = new Date()
          r = {
            ...base,
            method: f.plannedMethod,
            outcome: isAbort(err, signal) ? 'aborted' : 'failed',
            error: errorInfo(err),
            warnings: [],
            filesTransferred: 0,
            bytesTransferred: 0,
            filesDeleted: 0,
            attempts: (err as { attempts?: number }).attempts ?? 1,
            startedAt: t0.toISOString(),
            finishedAt: end.toISOString(),
            durationMs: end.getTime() - t0.getTime(),
          }
        }
        // After a failure, files may have landed unreported: the next sync looks at all of them.
        if (r.outcome === 'failed' || r.outcome === 'aborted') this.#dirty.add(f.source.name)
        st.method = r.method
        st.fallbackReason = r.fallbackReason
        st.lastSyncEnd = r.finishedAt
        st.lastSyncDurationMs = r.durationMs
        st.lastOutcome = r.outcome
        st.lastError = r.error
        st.filesTransferred = r.filesTransferred
        st.bytesTransferred = r.bytesTransferred
        st.totalFilesTransferred += r.filesTransferred
        st.totalBytesTransferred += r.bytesTransferred
        st.syncCount++
        if (r.outcome === 'failed' || r.outcome === 'aborted') st.failureCount++
        const level = r.outcome === 'ok' ? 'info' : r.outcome === 'warning' ? 'warn' : 'error'
        this.#o.log[level]('source synced', { id, source: r.name, method: r.method, outcome: r.outcome, files: r.filesTransferred, bytes: r.bytesTransferred, durationMs: r.durationMs, attempts: r.attempts, ...(r.error ? { error: r.error } : {}), ...(r.fallbackReason ? { fallbackReason: r.fallbackReason } : {}) })
        return r
      }),
    )
    this.#o.catalog.flush()
    traceSync('', 'flushed')
    if (this.#o.afterCatalog && !signal.aborted) {
      try {
        await this.#o.afterCatalog()
      } catch (err) {
        this.#o.log.error('after-sync step failed', { id, error: (err as Error).message })
      }
    }
    const end = new Date()
    const result: SyncResult = {
      id,
      trigger,
      outcome: sources.reduce<SyncOutcome>((w, s) => (RANK[s.outcome] > RANK[w] ? s.outcome : w), 'ok'),
      startedAt: started.toISOString(),
      finishedAt: end.toISOString(),
      durationMs: end.getTime() - started.getTime(),
      sources,
      filesTransferred: sources.reduce((s, x) => s + x.filesTransferred, 0),
      bytesTransferred: sources.reduce((s, x) => s + x.bytesTransferred, 0),
      filesCategorized: categorized,
    }
    this.#last = result
    this.#count++
    traceSync('', 'after-catalog')
    try {
      this.#o.onResult?.(result, this.sources())
    } catch (err) {
      this.#o.log.error('sync result not persisted', { id, error: (err as Error).message })
    }
    traceSync('', 'saved')
    this.#o.log.info('sync finished', { id, outcome: result.outcome, files: result.filesTransferred, bytes: result.bytesTransferred, categorized, durationMs: result.durationMs })
    this.emit('sync', result)
    return result
  }
}
