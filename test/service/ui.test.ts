/**
 * The web UI in a real browser: Debian's chromium, headless, driven by playwright-core, against
 * a real logs service (local source, real sync and categorisation, a bearer token) on
 * 127.0.0.1. The page asks for the token, lists the seed's categories, opens a file at its end
 * by byte ranges only (never the whole file), loads older lines on scroll, shows a line appended
 * to the file in the live view within a second (and holds it while paused), finds a search hit
 * and opens the file at it, and its "Sync now" button runs a sync. Each step leaves a
 * screenshot in test-output/ui/.
 */
import { existsSync } from 'node:fs'
import { appendFile, mkdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHarness, type Harness } from './http-harness.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const SHOTS = join(import.meta.dirname, '..', '..', 'test-output', 'ui')
const TOKEN = 'ui-test-token-5c1d'
/** The seed's categories, in its table's order, and a file for each. */
const SEED_FILES: [string, string][] = [
  ['server', 'server-main.log'],
  ['client', 'client-bench.log'],
  ['monitoring', 'monitor-gpu.log'],
  ['vllm', 'vllm-0.log'],
  ['slurm', 'job-42.err'],
  ['logs', 'logs-service.log'],
  ['uncategorized', 'notes.txt'],
]
const BIG_LINES = 40_000
const NEEDLE = 'needle-q7x3-found-me'
const NEEDLE_LINE = 1234

/** A line of the big file near its end: an error only the service's signatures know. */
const OOM_LINE = BIG_LINES - 5

function bigLine(i: number): string {
  if (i === OOM_LINE) return 'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB'
  const lvl = i % 50 === 0 ? 'ERROR' : i % 20 === 0 ? 'WARN' : 'INFO'
  return `2026-12-01T10:${String(Math.floor(i / 1000) % 60).padStart(2, '0')}:00.000Z ${lvl} request ${String(i).padStart(6, '0')} served in ${i % 97} ms`
}

let h: Harness
let browser: Browser
let page: Page
/** Query strings of every /logs/content request the page made. */
const contentRequests: URLSearchParams[] = []
let shot = 0
const screenshot = async (name: string): Promise<void> => {
  await page.screenshot({ path: join(SHOTS, `${String(++shot).padStart(2, '0')}-${name}.png`) })
}
const status = async (): Promise<{ syncCount: number; syncing: string | null; lastSync?: { id: string; trigger: string; outcome: string } }> => {
  const r = await h.get('/status')
  expect(r.status).toBe(200)
  return r.json() as { syncCount: number; syncing: string | null; lastSync?: { id: string; trigger: string; outcome: string } }
}

beforeAll(async () => {
  // Never skipped: a machine without chromium fails here, naming the fix.
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: the web UI test needs Debian's chromium (bash test/servers/install.sh)`)
  await rm(SHOTS, { recursive: true, force: true })
  await mkdir(SHOTS, { recursive: true })
  h = await startHarness({ token: TOKEN })
  const big = Array.from({ length: BIG_LINES }, (_, i) => bigLine(i + 1)).join('\n') + '\n'
  await h.put('server-main.log', big)
  await h.put('client-bench.log', Array.from({ length: 3000 }, (_, i) => (i + 1 === NEEDLE_LINE ? `INFO run 7 ${NEEDLE} at step ${i + 1}` : `INFO run 7 step ${i + 1}`)).join('\n') + '\n')
  for (const [, f] of SEED_FILES.slice(2)) await h.put(f, `WARN first line of ${f}\nINFO second line of ${f}\n`)
  await h.sync()
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] })
  page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'en-US' })
  page.on('request', (r) => {
    const u = new URL(r.url())
    if (u.pathname === '/logs/content') contentRequests.push(u.searchParams)
  })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await h?.stop()
})

describe('web UI (chromium headless)', () => {
  it('asks for the token once and lists the seed categories with their stats', async () => {
    await page.goto(`${h.url}/ui/`)
    await page.locator('#token-dialog[open]').waitFor()
    await page.fill('#token-input', TOKEN)
    await page.press('#token-input', 'Enter')
    await page.locator('#services tbody tr').first().waitFor()
    const names = await page.$$eval('#services tbody tr', (rows) => rows.map((r) => r.getAttribute('data-service')))
    expect(names).toEqual(SEED_FILES.map(([c]) => c))
    // Files and the error detection's counts, as /services/stats has them.
    const stats = (await h.get('/services/stats')).json() as { services: { name: string; files: number; errors: number; warnings: number }[] }
    const server = stats.services.find((x) => x.name === 'server')
    expect(server?.errors).toBeGreaterThan(0)
    for (const st of stats.services) {
      const row = await page.$$eval(`#services tbody tr[data-service="${st.name}"] td`, (tds) => tds.map((t) => t.textContent))
      expect([row[1], row[5], row[6]], st.name).toEqual([st.files, st.errors, st.warnings].map((n) => n.toLocaleString('en-US')))
    }
    expect(await page.evaluate(() => sessionStorage.getItem('logferry.token'))).toBe(TOKEN)
    // The sync panel read /status with the same token.
    await expect.poll(() => page.getAttribute('#sync-state', 'data-outcome')).toBe('ok')
    await screenshot('services')
  })

  it("lists a service's error events (the service's error detection); an event opens the file at its line", async () => {
    await page.click('#services tr[data-service="server"] a[href^="#/errors"]')
    await page.locator('#errors tbody tr').first().waitFor()
    const oom = page.locator('#errors tbody tr', { hasText: 'cuda-oom' })
    expect(await oom.count()).toBe(1)
    expect(await oom.locator('a.open-event').textContent()).toBe(`local/server-main.log:${OOM_LINE}`)
    await screenshot('errors')
    // An event opens the file at its line (located by the service's search in that file).
    await oom.locator('a.open-event').click()
    const marked = page.locator('#viewer-lines .line.hit')
    await marked.waitFor()
    expect(await marked.textContent()).toBe(bigLine(OOM_LINE))
    expect(await marked.getAttribute('data-line')).toBe(String(OOM_LINE))
    await page.click('nav a[data-nav="services"]')
    await page.locator('#services tbody tr').first().waitFor()
  })

  it("lists a service's files and filters them by name", async () => {
    await page.click('#services a[href="#/service/server"]')
    await page.locator('#files tbody tr').first().waitFor()
    expect(await page.$$eval('#files tbody tr', (rows) => rows.map((r) => r.getAttribute('data-path')))).toEqual(['categorized/server/local/server-main.log'])
    await page.fill('#filter-name', 'nothing-like-this')
    await page.press('#filter-name', 'Enter')
    await page.locator('.pager', { hasText: 'of 0 files' }).waitFor()
    await page.fill('#filter-name', 'main')
    await page.press('#filter-name', 'Enter')
    await page.locator('#files tbody tr').first().waitFor()
    expect(await page.locator('#files tbody tr').count()).toBe(1)
    // Date range (local days, as the browser's date inputs give them; the files were written now).
    const day = (plus: number): string => {
      const d = new Date()
      d.setDate(d.getDate() + plus)
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
    }
    await page.fill('#filter-from', day(1))
    await page.press('#filter-name', 'Enter')
    await page.locator('.pager', { hasText: 'of 0 files' }).waitFor()
    await page.fill('#filter-from', day(-1))
    await page.fill('#filter-to', day(0))
    await page.press('#filter-name', 'Enter')
    await page.locator('.pager', { hasText: /of 1 file(?!s)/ }).waitFor()
    expect(await page.locator('#files tbody tr').count()).toBe(1)
    await screenshot('files')
  })

  it('opens a file at its end by byte ranges, highlights levels and loads older lines on scroll', async () => {
    const size = (await h.get('/logs?service=server')).json() as { files: { size: number }[] }
    const fileSize = size.files[0]?.size as number
    await page.click('#files a.open-file')
    const last = page.locator('#viewer-lines .line').last()
    await expect.poll(() => last.textContent()).toBe(bigLine(BIG_LINES))
    // At the end, scrolled to the bottom.
    expect(await page.$eval('#viewer-lines', (b) => b.scrollHeight - b.scrollTop - b.clientHeight)).toBeLessThan(50)
    expect(await page.locator('#viewer-lines .line.lvl-error').count()).toBeGreaterThan(0)
    expect(await page.locator('#viewer-lines .line.lvl-warn').count()).toBeGreaterThan(0)
    // Coloured by the service's own classifier: a signature without a level word.
    const oom = page.locator('#viewer-lines .line', { hasText: bigLine(OOM_LINE) })
    expect(await oom.getAttribute('class')).toContain('lvl-error')
    expect(await oom.getAttribute('title')).toBe('cuda-oom')
    const shown = await page.locator('#viewer-lines .line').count()
    expect(shown).toBeLessThan(BIG_LINES / 2)
    await screenshot('viewer-tail')

    const firstOff = async (): Promise<number> => Number(await page.locator('#viewer-lines .line').first().getAttribute('data-off'))
    const before = await firstOff()
    await page.$eval('#viewer-lines', (b) => {
      b.scrollTop = 0
    })
    await expect.poll(firstOff).toBeLessThan(before)
    // Every read was a bounded byte range: the file was never asked for whole.
    expect(contentRequests.length).toBeGreaterThanOrEqual(2)
    for (const q of contentRequests) {
      expect(q.get('offset'), q.toString()).not.toBeNull()
      expect(Number(q.get('length')), q.toString()).toBeLessThanOrEqual(256 * 1024)
    }
    const fetched = contentRequests.reduce((n, q) => n + Number(q.get('length')), 0)
    expect(fetched).toBeLessThan(fileSize)
    await screenshot('viewer-older')

    // Further up, the page keeps at most 10,000 lines: it lets the newest go ...
    const count = (): Promise<number> => page.locator('#viewer-lines .line').count()
    for (let i = 0; i < 2; i++) {
      const top = await firstOff()
      await page.$eval('#viewer-lines', (b) => {
        b.scrollTop = 0
      })
      await expect.poll(firstOff, { intervals: [100] }).toBeLessThan(top)
    }
    expect(await count()).toBeLessThanOrEqual(10_000)
    expect(await page.locator('#viewer-lines .line').last().textContent()).not.toBe(bigLine(BIG_LINES))
    // ... and reads them again when scrolled back down.
    await expect
      .poll(
        async () => {
          await page.$eval('#viewer-lines', (b) => {
            b.scrollTop = b.scrollHeight
          })
          return page.locator('#viewer-lines .line').last().textContent()
        },
        { timeout: 20_000, intervals: [100] },
      )
      .toBe(bigLine(BIG_LINES))
    expect(await count()).toBeLessThanOrEqual(10_000)
  })

  it('shows a line appended to the file in the live view within a second; pause holds it, resume shows it', async () => {
    const entry = ((await h.get('/logs?service=server')).json() as { files: { path: string }[] }).files[0]
    const file = join(h.dataDir, entry?.path as string)
    await page.click('#open-live')
    await expect.poll(() => page.getAttribute('#live-conn', 'data-state'), { timeout: 10_000 }).toBe('live')
    await page.locator('#live-lines .line', { hasText: bigLine(BIG_LINES) }).waitFor()
    const line = `ERROR appended by the UI test ${Date.now()}`
    const t0 = Date.now()
    await appendFile(file, `${line}\n`)
    await page.locator('#live-lines .line', { hasText: line }).waitFor({ timeout: 1000 })
    const latency = Date.now() - t0
    expect(latency).toBeLessThan(1000)
    expect(await page.locator('#live-lines .line', { hasText: line }).getAttribute('class')).toContain('lvl-error')
    await screenshot('live')

    await page.click('#live-pause')
    const held = `INFO appended while paused ${Date.now()}`
    await appendFile(file, `${held}\n`)
    await expect.poll(() => page.textContent('#live-counts')).toContain('1 waiting')
    expect(await page.locator('#live-lines .line', { hasText: held }).count()).toBe(0)
    await screenshot('live-paused')
    await page.click('#live-pause')
    await page.locator('#live-lines .line', { hasText: held }).waitFor({ timeout: 1000 })

    // More lines than the page keeps (in three appends): the oldest go, the newest is shown, the
    // page never holds more than 10,000 lines.
    const burst = Array.from({ length: 12_000 }, (_, i) => `INFO burst line ${i + 1}`)
    for (let k = 0; k < 3; k++) {
      await appendFile(file, `${burst.slice(k * 4000, (k + 1) * 4000).join('\n')}\n`)
      await page.locator('#live-lines .line', { hasText: burst[(k + 1) * 4000 - 1] as string }).waitFor({ timeout: 10_000 })
    }
    expect(await page.$eval('#live-lines', (b) => b.childElementCount)).toBeLessThanOrEqual(10_000)
    expect(await page.textContent('#live-counts')).toMatch(/let go by the page/)
    await screenshot('live-capped')
  })

  it('finds a search hit and opens the file at its line', async () => {
    await page.click('nav a[data-nav="search"]')
    await page.fill('#search-q', NEEDLE)
    await page.press('#search-q', 'Enter')
    const hit = page.locator('#search-results a.open-hit').first()
    await hit.waitFor()
    expect(await hit.textContent()).toBe(`categorized/client/local/client-bench.log:${NEEDLE_LINE}`)
    await screenshot('search')
    await hit.click()
    const marked = page.locator('#viewer-lines .line.hit')
    await marked.waitFor()
    expect(await marked.textContent()).toBe(`INFO run 7 ${NEEDLE} at step ${NEEDLE_LINE}`)
    expect(await marked.getAttribute('data-line')).toBe(String(NEEDLE_LINE))
    expect(await marked.isVisible()).toBe(true)
    await screenshot('search-hit')
  })

  it('"Sync now" triggers a sync and shows its outcome', async () => {
    const before = await status()
    expect(before.syncing).toBeNull()
    await h.put('server-new.log', 'INFO arrived before the manual sync\n')
    await page.click('#sync-now')
    await expect.poll(() => page.getAttribute('#sync-state', 'data-done'), { timeout: 15_000 }).not.toBeNull()
    const id = await page.getAttribute('#sync-state', 'data-done')
    expect(id).toBe(await page.getAttribute('#sync-state', 'data-triggered'))
    const after = await status()
    expect(after.syncCount).toBe(before.syncCount + 1)
    expect(after.lastSync?.id).toBe(id)
    expect(after.lastSync?.trigger).toBe('manual')
    expect(await page.textContent('#sync-state')).toContain(`sync ${id} done: ok`)
    // The new file is in the catalog the page reads.
    expect(((await h.get('/logs?service=server&name=server-new.log')).json() as { total: number }).total).toBe(1)
    await screenshot('sync')
  })

  it('serves its files with types and cache validators, and nothing outside them', async () => {
    const index = await h.get('/ui/')
    expect(index.status).toBe(200)
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(index.headers['content-security-policy']).toContain("default-src 'none'")
    const js = await h.get('/ui/app.js')
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(js.headers['cache-control']).toBe('no-cache')
    expect((await h.get('/ui/app.js', { 'if-none-match': js.headers.etag as string })).status).toBe(304)
    const attacks = [
      '/ui/..%2fpackage.json',
      '/ui/%2e%2e/package.json',
      '/ui/%2e%2e%2f%2e%2e%2fpackage.json',
      '/ui/..%5c..%5cpackage.json',
      '/ui/%252e%252e%252fpackage.json',
      '/ui/tsconfig.json',
      '/ui/..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/ui/.%2e/http/server.ts',
      '/ui//etc/passwd',
      '/ui/index.html%00.js',
      '/ui/app.js/..%2f..%2fpackage.json',
      '/ui/../../package.json',
    ]
    for (const p of attacks) {
      const r = await h.get(p)
      expect(r.status, p).toBe(404)
      expect(r.body.toString(), p).not.toMatch(/"name": "logferry"|root:x:0/)
    }
  })
})

describe('web UI without a token', () => {
  it('asks for nothing, downloads a file through a plain link (streamed by the browser), shows a .gz file\'s last lines', async () => {
    const open = await startHarness()
    const ctx = await browser.newContext({ acceptDownloads: true })
    try {
      const content = Array.from({ length: 5000 }, (_, i) => `INFO download line ${i + 1}`).join('\n') + '\n'
      await open.put('vllm-download.log', content)
      await open.sync()
      const p = await ctx.newPage()
      await p.goto(`${open.url}/ui/#/file?path=${encodeURIComponent('categorized/vllm/local/vllm-download.log')}`)
      await expect.poll(() => p.locator('#viewer-lines .line').last().textContent()).toBe('INFO download line 5000')
      expect(await p.locator('#token-dialog[open]').count()).toBe(0)
      const [download] = await Promise.all([p.waitForEvent('download'), p.click('#download')])
      expect(download.suggestedFilename()).toBe('vllm-download.log')
      expect(await readFile(await download.path(), 'utf8')).toBe(content)

      // A compressed file: its last lines, decoded by the service (it cannot be read backwards).
      await open.put('vllm-old.log.gz', gzipSync(Buffer.from(content)))
      await open.sync()
      await p.goto(`${open.url}/ui/#/file?path=${encodeURIComponent('categorized/vllm/local/vllm-old.log.gz')}`)
      await expect.poll(() => p.locator('#viewer-lines .line').last().textContent()).toBe('INFO download line 5000')
      expect(await p.locator('#viewer-lines .line').count()).toBe(2000)
      expect(await p.locator('#viewer-lines .marker').first().textContent()).toContain('compressed file')
    } finally {
      await ctx.close()
      await open.stop()
    }
  })
})

