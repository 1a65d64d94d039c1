/**
 * Prometheus metrics of `logferry collect` (`--metrics-file`): after each pass the text format
 * is written to a temp name and renamed over the file (a scraper or node_exporter's textfile
 * collector never reads half a file). A registry of its own (not prom-client's global one);
 * prom-client is loaded on first use.
 */
import { rename, writeFile } from 'node:fs/promises'
import type { PassSummary, StatusRow } from './collector.js'

type PromClient = typeof import('prom-client')

export async function metricsText(rows: StatusRow[], pass: PassSummary, passSeconds: number): Promise<string> {
  const mod = (await import('prom-client')) as PromClient & { default?: PromClient }
  const prom = mod.default ?? mod
  const registry = new prom.Registry()
  const files = new prom.Gauge({ name: 'logferry_collect_files', help: 'Files known to the state store, per server and state', labelNames: ['server', 'state'], registers: [registry] })
  for (const r of rows) for (const [state, n] of Object.entries(r.counts)) files.set({ server: r.server, state }, n)
  const last = new prom.Gauge({ name: 'logferry_collect_last_pass_files', help: 'Files of the last pass, per outcome', labelNames: ['outcome'], registers: [registry] })
  for (const k of ['listed', 'skippedDone', 'settling', 'inError', 'copied', 'extracted', 'processed', 'duplicates'] as const) last.set({ outcome: k }, pass[k])
  const failed = new prom.Gauge({ name: 'logferry_collect_last_pass_failures', help: 'Failures of the last pass, per server and error type', labelNames: ['server', 'type'], registers: [registry] })
  for (const f of pass.failed) failed.inc({ server: f.server, type: f.errorType })
  new prom.Gauge({ name: 'logferry_collect_last_pass_bytes', help: 'Bytes of the last pass', labelNames: ['stage'], registers: [registry] }).set({ stage: 'extracted' }, pass.bytesExtracted)
  new prom.Gauge({ name: 'logferry_collect_last_pass_duration_seconds', help: 'Wall time of the last pass', registers: [registry] }).set(passSeconds)
  new prom.Gauge({ name: 'logferry_collect_last_pass_timestamp_seconds', help: 'When the last pass ended', registers: [registry] }).set(Date.now() / 1000)
  return registry.metrics()
}

export async function writeMetricsFile(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, text)
  await rename(tmp, path)
}
