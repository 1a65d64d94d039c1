/**
 * `GET /metrics`: a prom-client registry of this server's own (not the global one, so several
 * services in one process do not collide). prom-client is loaded when the server starts.
 * Sync figures come from the core's `sync` events; files per service are read at scrape time.
 */
import type { LogsServiceCore, SyncResult } from '../types.js'

type PromClient = typeof import('prom-client')

export interface ServiceMetrics {
  readonly contentType: string
  observeRequest(method: string, route: string, status: number, seconds: number): void
  render(): Promise<string>
  /** A figure read at scrape time (a gauge; a counter when `kind` says so: value is its total). */
  addCollected(kind: 'gauge' | 'counter', name: string, help: string, value: () => number): void
  /** Stops listening to the core. */
  dispose(): void
}

export async function createMetrics(core: LogsServiceCore): Promise<ServiceMetrics> {
  const prom: PromClient = (await import('prom-client')).default ?? (await import('prom-client'))
  const registry = new prom.Registry()
  prom.collectDefaultMetrics({ register: registry, prefix: 'logferry_' })

  const syncDuration = new prom.Histogram({
    name: 'logferry_sync_duration_seconds',
    help: 'Duration of syncs, by outcome',
    labelNames: ['outcome'],
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
    registers: [registry],
  })
  const syncs = new prom.Counter({ name: 'logferry_syncs_total', help: 'Syncs run, by outcome', labelNames: ['outcome'], registers: [registry] })
  const sourceFailures = new prom.Counter({
    name: 'logferry_sync_failures_total',
    help: 'Source syncs that failed, by source',
    labelNames: ['source'],
    registers: [registry],
  })
  const files = new prom.Counter({ name: 'logferry_synced_files_total', help: 'Files created or changed by syncs, by source', labelNames: ['source'], registers: [registry] })
  const bytes = new prom.Counter({ name: 'logferry_synced_bytes_total', help: 'Bytes of the files synced, by source', labelNames: ['source'], registers: [registry] })
  const http = new prom.Histogram({
    name: 'logferry_http_request_duration_seconds',
    help: 'HTTP request durations, by method, route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [registry],
  })
  new prom.Gauge({
    name: 'logferry_service_files',
    help: 'Files per service category',
    labelNames: ['service'],
    registers: [registry],
    collect() {
      this.reset()
      for (const c of core.categories()) this.set({ service: c.name }, c.files)
    },
  })
  new prom.Gauge({
    name: 'logferry_service_bytes',
    help: 'Bytes per service category',
    labelNames: ['service'],
    registers: [registry],
    collect() {
      this.reset()
      for (const c of core.categories()) this.set({ service: c.name }, c.bytes)
    },
  })

  const onSync = (r: SyncResult): void => {
    syncDuration.observe({ outcome: r.outcome }, r.durationMs / 1000)
    syncs.inc({ outcome: r.outcome })
    for (const s of r.sources) {
      files.inc({ source: s.name }, s.filesTransferred)
      bytes.inc({ source: s.name }, s.bytesTransferred)
      if (s.outcome === 'failed') sourceFailures.inc({ source: s.name })
    }
  }
  core.on('sync', onSync)

  return {
    contentType: registry.contentType,
    observeRequest: (method, route, status, seconds) => http.observe({ method, route, status: String(status) }, seconds),
    render: () => registry.metrics(),
    addCollected: (kind, name, help, value) => {
      if (kind === 'gauge')
        new prom.Gauge({ name, help, registers: [registry], collect() { this.set(value()) } })
      else
        new prom.Counter({ name, help, registers: [registry], collect() { this.reset(); this.inc(value()) } })
    },
    dispose: () => core.off('sync', onSync),
  }
}
