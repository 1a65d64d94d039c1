/**
 * The `/metrics` port of a `logferry collect run --interval` daemon: GET /metrics answers the
 * Prometheus text format of the state store and the last pass (metrics.ts), rendered per
 * scrape. Loopback by default; node:http only (prom-client is loaded by the first scrape).
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { metricsText } from './metrics.js'
import type { PassSummary, StatusRow } from './collector.js'

export interface MetricsSource {
  status(): StatusRow[]
  /** The last finished pass and its wall time in seconds (undefined before the first). */
  lastPass(): { summary: PassSummary; seconds: number } | undefined
}

export interface MetricsServer {
  readonly url: string
  close(): Promise<void>
}

const EMPTY: PassSummary = { listed: 0, skippedDone: 0, settling: 0, inError: 0, copied: 0, extracted: 0, processed: 0, duplicates: 0, bytesExtracted: 0, cleanedUp: 0, failed: [] }

export async function startMetricsServer(source: MetricsSource, port: number, host = '127.0.0.1'): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end()
      return
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only /metrics here\n')
      return
    }
    const last = source.lastPass()
    metricsText(source.status(), last?.summary ?? EMPTY, last?.seconds ?? 0).then(
      (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(req.method === 'HEAD' ? undefined : text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err instanceof Error ? err.message : String(err)}\n`),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const a = server.address() as AddressInfo
  return {
    url: `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
