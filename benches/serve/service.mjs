/**
 * The service under benchmark, in its own process (so its peak RSS is its own), run as users run
 * it: plain node on the built package (dist/, as `npx logferry serve` runs it; no TypeScript
 * loader in the process). The logs service over a local source, synced once, and beside it in
 * the same process a bare Fastify hello-world app (the peer of /logs). Prints one JSON line
 * `{ url, bareUrl, syncMs, peakAfterStart }`, stops on SIGTERM or when stdin closes.
 *
 *   node benches/serve/service.mjs SRC_DIR DATA_DIR   (after npm run build:ts)
 */
import { readFileSync } from 'node:fs'
import { createLogsService } from '../../dist/index.js'

const [src, dataDir] = process.argv.slice(2)
const svc = await createLogsService({
  host: '127.0.0.1',
  port: 0,
  dataDir,
  sources: [{ name: 'bench', kind: 'local', path: src }],
  syncInterval: 0,
  logLevel: 'warn',
  cwd: dataDir,
  env: {},
  ignoreEnvFiles: true,
  syncOnStart: false,
})
await svc.start()
/** VmHWM with the HTTP side loaded and listening, before the first sync. */
const peakAfterStart = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024
const t = Date.now()
await svc.core.triggerSync().done
const syncMs = Date.now() - t
const { default: Fastify } = await import('fastify')
const bare = Fastify({ logger: false })
bare.get('/', async () => ({ hello: 'world' }))
const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 })
process.stdout.write(`${JSON.stringify({ url: svc.url, bareUrl, syncMs, peakAfterStart })}\n`)

let stopping = false
async function stop() {
  if (stopping) return
  stopping = true
  await bare.close()
  await svc.stop()
  process.exit(0)
}
process.on('SIGTERM', () => void stop())
process.stdin.on('end', () => void stop())
process.stdin.resume()
