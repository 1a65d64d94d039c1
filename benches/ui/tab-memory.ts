/**
 * Web UI benchmark: what a browser tab holds while a busy file is followed live, the UI's live
 * view beside a naive live page (EventSource, every line appended to the page, no cap: the way
 * the tabs of Dozzle's and frontail's users grew to gigabytes), same browser, same stream, same
 * run. Each page runs in its own chromium (so each has its own renderer process); both follow the
 * same file at once; lines are appended in batches; after each step both have received the last
 * line, garbage is collected, and each browser's memory (RSS of its process tree: the DOM lives in
 * the renderer's native heap, not in the JS heap) and the page's DOM node count are read.
 * Target: the UI's browser RSS at the end within 1.2x of its RSS after the first step, and at most
 * 10,000 lines in its page.
 * Writes benches/results/ui.md.
 *
 *   npm run bench:ui -- [--lines 200000] [--step 40000]
 */
import { spawnSync } from 'node:child_process'
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { chromium, type Browser, type BrowserServer, type CDPSession, type Page } from 'playwright-core'
import { createLogsService } from '../../ts/service/logs-service.js'

const here = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({ options: { lines: { type: 'string', default: '200000' }, step: { type: 'string', default: '40000' } } })
const total = Number(values.lines)
const step = Number(values.step)
const BATCH = 5000
const CAP = 10_000
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const rel = 'categorized/server/local/server-busy.log'

/** The peer: a live page with no cap (inline script: this page is served by the bench, not the service). */
const NAIVE = `<!doctype html><meta charset="utf-8"><title>naive tail</title><div id="out"></div><script>
window.received = 0
const out = document.getElementById('out')
const es = new EventSource('/logs/stream?path=${encodeURIComponent(rel)}&tail=0')
es.addEventListener('lines', (ev) => {
  for (const l of JSON.parse(ev.data).lines) { const d = document.createElement('div'); d.textContent = l; out.append(d); window.received++ }
})
</script>`

interface Sample {
  rssMiB: number
  heapMiB: number
  nodes: number
}

/** RSS of `pid` and all its descendants (MiB). */
function treeRss(pid: number): number {
  const ps = spawnSync('ps', ['-e', '-o', 'pid=,ppid=,rss='], { encoding: 'utf8' })
  const rows = ps.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number) as [number, number, number])
  const tree = new Set([pid])
  for (let grew = true; grew; ) {
    grew = false
    for (const [p, pp] of rows) if (tree.has(pp) && !tree.has(p)) (tree.add(p), (grew = true))
  }
  return rows.filter(([p]) => tree.has(p)).reduce((kb, r) => kb + r[2], 0) / 1024
}

async function sample(server: BrowserServer, cdp: CDPSession): Promise<Sample> {
  await cdp.send('HeapProfiler.collectGarbage')
  const m = (await cdp.send('Performance.getMetrics')).metrics
  const get = (k: string): number => m.find((x) => x.name === k)?.value ?? 0
  return { rssMiB: treeRss(server.process().pid as number), heapMiB: get('JSHeapUsedSize') / 1048576, nodes: get('Nodes') }
}

async function launch(): Promise<{ server: BrowserServer; browser: Browser }> {
  const server = await chromium.launchServer({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] })
  return { server, browser: await chromium.connect(server.wsEndpoint()) }
}

const line = (n: number): string => `2026-12-01T10:00:00.000Z INFO request ${String(n).padStart(7, '0')} served ${'x'.repeat(80)}`

const root = await mkdtemp(join(tmpdir(), 'logferry-ui-bench-'))
const src = join(root, 'src')
await mkdir(src, { recursive: true })
await writeFile(join(src, 'server-busy.log'), `${line(0)}\n`)
const svc = await createLogsService({
  host: '127.0.0.1',
  port: 0,
  dataDir: join(root, 'data'),
  sources: [{ name: 'local', kind: 'local', path: src }],
  syncInterval: 0,
  logLevel: 'silent',
  cwd: root,
  env: {},
  ignoreEnvFiles: true,
})
await svc.start()
const url = svc.url as string
await fetch(`${url}/sync/trigger?wait=true`, { method: 'POST' })
const file = join(root, 'data', rel)

const uiB = await launch()
const naiveB = await launch()
const rows: string[] = []
let ok = false
try {
  const ui = await uiB.browser.newPage()
  const naive = await naiveB.browser.newPage()
  await naive.route(`${url}/naive.html`, (r) => r.fulfill({ body: NAIVE, contentType: 'text/html; charset=utf-8' }))
  const uiCdp = await ui.context().newCDPSession(ui)
  const naiveCdp = await naive.context().newCDPSession(naive)
  await uiCdp.send('Performance.enable')
  await naiveCdp.send('Performance.enable')
  await ui.goto(`${url}/ui/#/live?path=${encodeURIComponent(rel)}`)
  await ui.waitForSelector('#live-conn[data-state="live"]')
  await naive.goto(`${url}/naive.html`)
  await naive.waitForFunction(() => document.readyState === 'complete')
  // The naive page opened its stream; give EventSource its connection before the first batch.
  await new Promise((r) => setTimeout(r, 500))

  const shownLast = (p: Page, n: number): Promise<unknown> =>
    p.waitForFunction((t) => document.querySelector('#live-lines')?.lastElementChild?.textContent === t, line(n), { timeout: 120_000 })
  let n = 0
  let first: Sample | undefined
  let last: Sample | undefined
  let lastNaive: Sample | undefined
  let uiLines = 0
  while (n < total) {
    for (let k = 0; k < step / BATCH && n < total; k++) {
      const lines = Array.from({ length: BATCH }, () => line(++n))
      await appendFile(file, `${lines.join('\n')}\n`)
      // One batch at a time through the stream, so the service's per-client buffer never drops.
      await shownLast(ui, n)
    }
    await naive.waitForFunction((want) => (window as unknown as { received: number }).received >= want, n, { timeout: 120_000 })
    const a = await sample(uiB.server, uiCdp)
    const b = await sample(naiveB.server, naiveCdp)
    uiLines = await ui.locator('#live-lines .line').count()
    first ??= a
    last = a
    lastNaive = b
    const f = (x: Sample): string => `${x.rssMiB.toFixed(0)} MiB | ${x.heapMiB.toFixed(1)} MiB | ${x.nodes.toLocaleString('en-US')}`
    rows.push(`| ${n.toLocaleString('en-US')} | ${f(a)} | ${uiLines.toLocaleString('en-US')} | ${f(b)} |`)
    console.log(rows[rows.length - 1])
  }
  ok = first !== undefined && last !== undefined && last.rssMiB <= 1.2 * first.rssMiB && uiLines <= CAP
  const md = [
    '# Web UI: what a tab holds while following a busy file',
    '',
    `npm run bench:ui (benches/ui/tab-memory.ts), ${new Date().toISOString()}: ${total.toLocaleString('en-US')} lines of ${line(1).length + 1} bytes appended in batches of ${BATCH.toLocaleString('en-US')},`,
    'Debian chromium headless, one browser per page, both on the same stream at once; after a forced GC: RSS of the browser\'s process tree, JS heap and DOM nodes (DevTools Performance.getMetrics).',
    '',
    '| lines appended | logferry UI: browser RSS | JS heap | DOM nodes | lines in the page | naive page (no cap): browser RSS | JS heap | DOM nodes |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `Target: the UI's browser RSS at the end within 1.2x of its first figure and at most ${CAP.toLocaleString('en-US')} lines in the page: ${ok ? 'met' : 'NOT met'} ` +
      `(${last?.rssMiB.toFixed(0)} MiB vs ${first?.rssMiB.toFixed(0)} MiB; ${uiLines.toLocaleString('en-US')} lines). The naive page's browser ends at ${lastNaive?.rssMiB.toFixed(0)} MiB with ${lastNaive?.nodes.toLocaleString('en-US')} DOM nodes, and grows with the stream.`,
    "The RSS sums chromium's processes, so pages they share count more than once: compare the growth, not the level.",
    '',
  ].join('\n')
  await mkdir(join(here, '..', 'results'), { recursive: true })
  await writeFile(join(here, '..', 'results', 'ui.md'), md)
  console.log(md)
} finally {
  await uiB.browser.close()
  await naiveB.browser.close()
  await uiB.server.close()
  await naiveB.server.close()
  await svc.stop()
  await rm(root, { recursive: true, force: true })
}
if (!ok) process.exitCode = 1
