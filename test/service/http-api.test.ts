/**
 * Every endpoint of the logs service's API on a real service (local source, real sync, real
 * categorisation): status codes, answers validated against the served OpenAPI document, the
 * /logs filters and limits, sync trigger joining a running sync, metrics, the docs page.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkShape, openApiValidator, rawRequest, startHarness, type Harness } from './http-harness.js'

let h: Harness
let shape: Awaited<ReturnType<typeof openApiValidator>>

interface Entry {
  service: string
  name: string
  path: string
  mtimeMs: number
  size: number
}
interface List {
  total: number
  offset: number
  limit: number
  files: Entry[]
}

/**
 * Put in four batches, each synced before the next is written: the mirror's mtimes (what
 * /logs filters on) then fall between the recorded boundaries, whatever way the source kind
 * sets them.
 */
const batches: string[][] = [
  ['server-1.log', 'server-2.log', 'orchestrator.log'],
  ['client-a.log', 'benchmark-b.log', 'prometheus.log'],
  ['vllm-0.log', 'job-42.err', 'job-42.out'],
  ['slurm-job-1.out', 'random.txt', 'nested/dir/monitor.log'],
]
const allFiles = batches.flat()
const baseName = (f: string): string => f.split('/').pop() as string
/** bounds[k]: a time after batch k's sync ended and before batch k+1 was written. */
const bounds: number[] = []
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

beforeAll(async () => {
  h = await startHarness({ limits: { maxLimit: 50, defaultLimit: 5 } })
  for (const batch of batches) {
    for (const f of batch) await h.put(f, `${f}\n`.repeat(allFiles.indexOf(f) + 1))
    await h.sync()
    await sleep(15)
    bounds.push(Date.now())
    await sleep(15)
  }
  shape = await openApiValidator(h)
})
afterAll(async () => h?.stop())

const list = async (q: string): Promise<List> => {
  const r = await h.get(`/logs${q}`)
  expect(r.status, r.body.toString().slice(0, 300)).toBe(200)
  checkShape(shape('/logs', 'get', 200), r.json())
  return r.json() as List
}

describe('service endpoints', () => {
  it('GET /health', async () => {
    const r = await h.get('/health')
    expect(r.status).toBe(200)
    expect(r.json()).toEqual({ status: 'ok' })
    checkShape(shape('/health', 'get', 200), r.json())
  })

  it('GET /status reports the last sync per source', async () => {
    const r = await h.get('/status')
    expect(r.status).toBe(200)
    checkShape(shape('/status', 'get', 200), r.json())
    const s = r.json() as { name: string; syncCount: number; syncing: string | null; sources: { name: string; lastOutcome: string; syncCount: number }[] }
    expect(s.name).toBe('logferry')
    expect(s.syncCount).toBeGreaterThanOrEqual(1)
    expect(s.sources.map((x) => x.name)).toEqual([h.source])
    expect(s.sources[0]?.lastOutcome).toBe('ok')
  })

  it('GET / lists the endpoints', async () => {
    const r = await h.get('/')
    expect(r.status).toBe(200)
    checkShape(shape('/', 'get', 200), r.json())
    const paths = (r.json() as { endpoints: { path: string }[] }).endpoints.map((e) => e.path)
    for (const p of ['/health', '/status', '/sync/trigger', '/services', '/services/stats', '/logs', '/logs/content', '/metrics', '/openapi.json', '/docs'])
      expect(paths).toContain(p)
  })

  it('POST /sync/trigger: 202 with an id; a trigger while it runs joins it; ?wait=true returns its result', async () => {
    const first = await rawRequest(h.url, 'POST', '/sync/trigger')
    const second = await rawRequest(h.url, 'POST', '/sync/trigger')
    expect(first.status).toBe(202)
    checkShape(shape('/sync/trigger', 'post', 202), first.json())
    const a = first.json() as { id: string; joined: boolean }
    const b = second.json() as { id: string; joined: boolean }
    expect(a.joined).toBe(false)
    // The second either joined the first (still running) or started after it ended.
    if (b.joined) expect(b.id).toBe(a.id)
    else expect(b.id).not.toBe(a.id)
    const waited = await rawRequest(h.url, 'POST', '/sync/trigger?wait=true')
    expect(waited.status).toBe(200)
    checkShape(shape('/sync/trigger', 'post', 200), waited.json())
    const w = waited.json() as { id: string; result: { id: string; outcome: string; sources: unknown[] } }
    expect(w.result.id).toBe(w.id)
    expect(w.result.outcome).toBe('ok')
    expect(w.result.sources.length).toBe(1)
    const bad = await rawRequest(h.url, 'POST', '/sync/trigger?wait=soon')
    expect(bad.status).toBe(400)
    checkShape(shape('/sync/trigger', 'post', 400), bad.json())
  })

  it('GET /services and /services/stats', async () => {
    const r = await h.get('/services')
    expect(r.status).toBe(200)
    checkShape(shape('/services', 'get', 200), r.json())
    const counts = Object.fromEntries((r.json() as { services: { name: string; files: number }[] }).services.map((s) => [s.name, s.files]))
    // The seed's table: slurm-job-1.out is server (first match wins), job-42.* slurm.
    expect(counts).toMatchObject({ server: 4, client: 2, monitoring: 2, vllm: 1, slurm: 2, uncategorized: 1 })
    const st = await h.get('/services/stats')
    expect(st.status).toBe(200)
    checkShape(shape('/services/stats', 'get', 200), st.json())
    const server = (st.json() as { services: { name: string; files: number; bytes: number; oldestMtime: string; newestMtime: string }[] }).services.find((s) => s.name === 'server')
    const serverFiles = ['server-1.log', 'server-2.log', 'orchestrator.log', 'slurm-job-1.out']
    expect(server?.files).toBe(4)
    expect(server?.bytes).toBe(serverFiles.reduce((n, f) => n + (f.length + 1) * (allFiles.indexOf(f) + 1), 0))
    const listed = (await list('?service=server&limit=50')).files.map((f) => f.mtimeMs)
    expect(server?.oldestMtime).toBe(new Date(Math.min(...listed)).toISOString())
    expect(server?.newestMtime).toBe(new Date(Math.max(...listed)).toISOString())
    const logs = (st.json() as { services: { name: string; files: number; oldestMtime: unknown }[] }).services.find((s) => s.name === 'logs')
    expect(logs).toEqual({ name: 'logs', files: 0, bytes: 0, oldestMtime: null, newestMtime: null, errors: 0, warnings: 0 })
  })

  it('GET /metrics: sync figures, HTTP durations by route and status, files per service', async () => {
    const r = await h.get('/metrics')
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toMatch(/^text\/plain/)
    const text = r.body.toString()
    expect(text).toMatch(/logferry_sync_duration_seconds_count\{outcome="ok"\} [1-9]/)
    expect(text).toMatch(new RegExp(`logferry_synced_files_total\\{source="${h.source}"\\} ${allFiles.length}`))
    expect(text).toMatch(/logferry_synced_bytes_total\{source="local"\} [1-9]/)
    expect(text).toMatch(/logferry_http_request_duration_seconds_count\{method="GET",route="\/services",status="200"\} [1-9]/)
    expect(text).toMatch(/logferry_http_request_duration_seconds_count\{method="POST",route="\/sync\/trigger",status="400"\} [1-9]/)
    expect(text).toContain('logferry_service_files{service="server"} 4')
    expect(text).toContain('logferry_sync_failures_total')
  })

  it('GET /openapi.json and /docs (offline: no external asset)', async () => {
    const r = await h.get('/openapi.json')
    expect(r.status).toBe(200)
    const doc = r.json() as { openapi: string; paths: Record<string, unknown> }
    expect(doc.openapi).toMatch(/^3\./)
    for (const p of ['/health', '/status', '/', '/sync/trigger', '/services', '/services/stats', '/logs', '/logs/content', '/metrics']) expect(Object.keys(doc.paths)).toContain(p)
    const page = await h.get('/docs')
    expect(page.status).toBe(200)
    const html = page.body.toString()
    expect(html).toContain('swagger-ui')
    expect(html).not.toMatch(/src="https?:|href="https?:/)
    const js = await h.get('/docs/static/swagger-ui-bundle.js')
    expect(js.status).toBe(200)
    expect(js.body.length).toBeGreaterThan(100_000)
  })

  it('routes without parameters refuse any given (400 naming it); /health takes anything', async () => {
    for (const p of ['/status', '/', '/services', '/services/stats', '/metrics']) {
      const r = await h.get(`${p}?verbose=1`)
      expect(r.status, p).toBe(400)
      expect(r.json()).toEqual({ error: { code: 'ERR_UNKNOWN_PARAM', message: 'verbose: unknown parameter', param: 'verbose' } })
    }
    checkShape(shape('/status', 'get', 400), (await h.get('/status?verbose=1')).json())
    expect((await h.get('/health?probe=1')).status).toBe(200)
  })

  it('unknown routes are a 404 in the error shape', async () => {
    const r = await h.get('/nope')
    expect(r.status).toBe(404)
    expect((r.json() as { error: { code: string } }).error.code).toBe('ERR_NOT_FOUND')
  })
})

describe('GET /logs', () => {
  it('newest first, the default limit, offset, total', async () => {
    const all = await list('?limit=50')
    expect(all.total).toBe(allFiles.length)
    const m = all.files.map((f) => f.mtimeMs)
    expect(m).toEqual([...m].sort((a, b) => b - a))
    expect(batches[3]?.map(baseName)).toContain(all.files[0]?.name)
    const d = await list('')
    expect(d.limit).toBe(5)
    expect(d.files.map((f) => f.path)).toEqual(all.files.slice(0, 5).map((f) => f.path))
    const page = await list('?limit=3&offset=4')
    expect(page.offset).toBe(4)
    expect(page.total).toBe(allFiles.length)
    expect(page.files.map((f) => f.path)).toEqual(all.files.slice(4, 7).map((f) => f.path))
    const oldest = await list('?limit=50&order=oldest')
    expect(oldest.files.map((f) => f.path)).toEqual([...all.files].reverse().map((f) => f.path))
    expect(batches[0]?.map(baseName)).toContain(oldest.files[0]?.name)
    expect((await list('?limit=0')).files).toEqual([])
    expect((await list('?offset=1000')).files).toEqual([])
  })

  it('service, name (glob), since/until (ISO and epoch s/ms), by mtime', async () => {
    const names = (l: List): string[] => l.files.map((f) => f.name).sort()
    const batch = (...ks: number[]): string[] => ks.flatMap((k) => (batches[k] as string[]).map(baseName)).sort()
    expect(names(await list('?service=slurm&limit=50'))).toEqual(['job-42.err', 'job-42.out'])
    expect(names(await list(`?name=${encodeURIComponent('server-*.log')}&limit=50`))).toEqual(['server-1.log', 'server-2.log'])
    expect((await list(`?name=${encodeURIComponent('*.{err,out}')}&limit=50`)).total).toBe(3)
    const iso = (t: number): string => encodeURIComponent(new Date(t).toISOString())
    const [b0, b1, b2] = bounds as [number, number, number]
    expect(names(await list(`?since=${iso(b0)}&until=${iso(b2)}&limit=50`))).toEqual(batch(1, 2))
    expect(names(await list(`?since=${(b2 / 1000).toFixed(3)}&limit=50`))).toEqual(batch(3))
    expect(names(await list(`?until=${b0}&limit=50`))).toEqual(batch(0))
    expect(names(await list(`?since=${b1 * 1000}&until=${b2 * 1000}&limit=50`))).toEqual(batch(2))
    expect(names(await list(`?service=server&since=${iso(b2)}&limit=50`))).toEqual(['slurm-job-1.out'])
    const nested = (await list('?name=monitor.log')).files[0] as Entry
    expect(nested.path).toBe(`categorized/monitoring/${h.source}/nested/dir/monitor.log`)
    const c = await h.get(`/logs/content?path=${encodeURIComponent(nested.path)}`)
    expect(c.body.toString()).toBe('nested/dir/monitor.log\n'.repeat(allFiles.length))
  })

  it('every bad parameter is a 400 naming it', async () => {
    const cases: [string, string][] = [
      ['limit=51', 'limit'],
      ['limit=-1', 'limit'],
      ['limit=ten', 'limit'],
      ['offset=-2', 'offset'],
      ['since=yesterday', 'since'],
      ['until=2026-13-45', 'until'],
      ['since=2026-11-05&until=2026-11-01', 'until'],
      ['service=nope', 'service'],
      ['order=random', 'order'],
      ['name=a%2Fb', 'name'],
      ['bogus=1', 'bogus'],
    ]
    for (const [q, param] of cases) {
      const r = await h.get(`/logs?${q}`)
      expect(r.status, q).toBe(400)
      checkShape(shape('/logs', 'get', 400), r.json())
      const e = (r.json() as { error: { param: string; message: string } }).error
      expect(e.param, q).toBe(param)
      expect(e.message.startsWith(`${param}: `), q).toBe(true)
    }
  })
})

describe('files change between syncs', () => {
  it('a new file is listed after the next sync, with its content (the same listing asked before and after)', async () => {
    const before = await list(`?name=server-new.log`)
    expect(before.total).toBe(0)
    expect((await list(`?name=server-new.log`)).total).toBe(0)
    await h.put('server-new.log', 'new\n')
    await h.sync()
    const l = await list(`?name=server-new.log`)
    expect(l.files.map((f) => f.path)).toEqual([`categorized/server/${h.source}/server-new.log`])
    expect((await h.get(`/logs/content?path=${encodeURIComponent(join('logs', h.source, 'server-new.log'))}&tail=1`)).body.toString()).toBe('new\n')
  })
})

describe('during a sync', () => {
  it('a trigger joins the running sync (same id), and the API answers meanwhile', async () => {
    // A file large enough that its copy outlasts a few requests on 127.0.0.1.
    await h.put('big/inference-big.log', Buffer.alloc(192 * 1024 * 1024, 'x\n'))
    const first = await rawRequest(h.url, 'POST', '/sync/trigger')
    const second = await rawRequest(h.url, 'POST', '/sync/trigger')
    expect(first.status).toBe(202)
    expect(second.status).toBe(202)
    const a = first.json() as { id: string; joined: boolean }
    expect(a.joined).toBe(false)
    expect(second.json()).toEqual({ id: a.id, joined: true, status: 'running' })
    const status = (await h.get('/status')).json() as { syncing: string | null }
    expect(status.syncing).toBe(a.id)
    const during = await h.get('/logs?limit=50')
    expect(during.status).toBe(200)
    checkShape(shape('/logs', 'get', 200), during.json())
    expect((await h.get('/services')).status).toBe(200)
    const waited = await rawRequest(h.url, 'POST', '/sync/trigger?wait=true')
    const w = waited.json() as { id: string; joined: boolean; result: { outcome: string } }
    expect(w.joined).toBe(true)
    expect(w.id).toBe(a.id)
    expect(w.result.outcome).toBe('ok')
    expect(((await h.get('/status')).json() as { syncing: string | null }).syncing).toBeNull()
    const after = await list('?service=vllm&limit=50')
    expect(after.files.map((f) => f.name).sort()).toEqual(['inference-big.log', 'vllm-0.log'])
    const tail = await h.get(`/logs/content?path=${encodeURIComponent(`logs/${h.source}/big/inference-big.log`)}&tail=2`)
    expect(tail.body.toString()).toBe('x\nx\n')
  })
})

describe('closing', () => {
  it('close() lets a download in flight run for stopTimeout, then cuts it and resolves', async () => {
    const { createHttpServer } = await import('../../ts/service/http/server.js')
    const { request } = await import('node:http')
    const core = h.svc.core
    const server = createHttpServer(core, { ...core.settings, port: 0, stopTimeout: 300 })
    const url = new URL(await server.listen())
    // A client that reads the first bytes of a 192 MiB file and then stops reading.
    const aborted = new Promise<string>((resolve) => {
      const req = request({ host: url.hostname, port: url.port, path: `/logs/content?path=${encodeURIComponent(`logs/${h.source}/big/inference-big.log`)}` }, (res) => {
        res.once('data', () => {
          res.pause()
          resolve(res.statusCode === 200 ? 'reading' : `status ${res.statusCode}`)
        })
        res.on('error', () => undefined)
      })
      req.on('error', () => undefined)
      req.end()
    })
    expect(await aborted).toBe('reading')
    const closed = await Promise.race([server.close().then(() => 'closed'), new Promise((r) => setTimeout(() => r('still open after 10 s'), 10_000))])
    expect(closed).toBe('closed')
  })
})
