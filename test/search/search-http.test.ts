/**
 * `GET /search` on the real logs service: JSON pages with a cursor, NDJSON streaming, service
 * and path filters through the path guard, every bad parameter a 400 naming it, traversal
 * refused, and a client that goes away stops the scan (proved on a FIFO: the writer gets EPIPE
 * once the search has closed its end).
 */
import { spawnSync } from 'node:child_process'
import { createWriteStream, mkdirSync, symlinkSync } from 'node:fs'
import { get } from 'node:http'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { searchLogs, type SearchMatch } from '../../ts/search/search-logs.js'
import { checkShape, openApiValidator, startHarness, type Harness } from '../service/http-harness.js'

let h: Harness
let shape: Awaited<ReturnType<typeof openApiValidator>>

interface Page {
  matches: SearchMatch[]
  cursor: string | null
  errors: { path: string; code: string; message: string }[]
}

const lines = (tag: string, n: number): string => Array.from({ length: n }, (_, i) => `${tag} line ${i + 1}${i % 3 === 0 ? ' ERROR disk' : ''}`).join('\n') + '\n'

beforeAll(async () => {
  h = await startHarness()
  await h.put('server-1.log', lines('srv', 40))
  await h.put('nested/client-a.log.gz', gzipSync(lines('cli', 30)))
  await h.put('other.log', lines('oth', 10))
  await h.sync()
  shape = await openApiValidator(h)
})
afterAll(async () => h?.stop())

async function page(query: string): Promise<Page> {
  const r = await h.get(`/search?${query}`)
  expect(r.status, r.body.toString()).toBe(200)
  const body = r.json()
  checkShape(shape('/search', 'get', 200), body)
  return body as Page
}

async function refused(query: string, status: number, param: string, code = 'ERR_INVALID_PARAM'): Promise<void> {
  const r = await h.get(`/search?${query}`)
  expect(r.status, `${query}: ${r.body.toString()}`).toBe(status)
  const e = (r.json() as { error: { code: string; param?: string; message: string } }).error
  expect(e.code, query).toBe(code)
  expect(e.param, query).toBe(param)
}

describe('GET /search', () => {
  it('a JSON page: the matches of every service, paths under the data root, .gz decoded, equal to searchLogs on the tree', async () => {
    const p = await page('q=ERROR&limit=1000')
    expect(p.cursor).toBeNull()
    expect(p.errors).toEqual([])
    const want: SearchMatch[] = []
    for await (const m of searchLogs({ pattern: 'ERROR', paths: join(h.dataDir, 'categorized') }))
      want.push({ ...m, path: `categorized/${m.path.slice(join(h.dataDir, 'categorized').length + 1)}` })
    expect(want.length).toBe(14 + 10 + 4)
    expect(p.matches).toEqual(want)
    expect(new Set(p.matches.map((m) => m.path))).toEqual(
      new Set(['categorized/server/local/server-1.log', 'categorized/client/local/nested/client-a.log.gz', 'categorized/uncategorized/local/other.log']),
    )
    // A match opens the file at its line: offset is where /logs/content finds it.
    const m = p.matches.find((x) => x.path.endsWith('server-1.log') && x.lineNumber === 4) as SearchMatch
    const c = await h.get(`/logs/content?path=${encodeURIComponent(m.path)}&offset=${m.offset}&length=${Buffer.byteLength(m.line)}`)
    expect(c.body.toString()).toBe(m.line)
  })

  it('pages through a cursor: the pages together are the whole answer', async () => {
    const all = (await page('q=line&ignoreCase=1&limit=1000')).matches
    expect(all.length).toBe(80)
    const got: SearchMatch[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const p: Page = await page(`q=line&ignoreCase=1&limit=7${cursor === null ? '' : `&cursor=${cursor}`}`)
      expect(p.matches.length).toBeLessThanOrEqual(7)
      got.push(...p.matches)
      cursor = p.cursor
      pages++
    } while (cursor !== null)
    expect(pages).toBe(12)
    expect(got).toEqual(all)
  })

  it('regex, context, service and path filters', async () => {
    const re = await page(`q=${encodeURIComponent('^srv line \\d*0\\b')}&regex=1`)
    expect(re.matches.map((m) => m.lineNumber)).toEqual([10, 20, 30, 40])
    const ctx = await page('q=ERROR&service=server&context=1&limit=2')
    expect(ctx.matches[1]).toMatchObject({ lineNumber: 4, before: ['srv line 3'], after: ['srv line 5'] })
    const svc = await page('q=ERROR&service=client&limit=1000')
    expect(svc.matches).toHaveLength(10)
    expect(svc.matches.every((m) => m.path.startsWith('categorized/client/'))).toBe(true)
    const file = await page(`q=ERROR&path=${encodeURIComponent('logs/local/other.log')}`)
    expect(file.matches.map((m) => m.path)).toEqual(Array(4).fill('logs/local/other.log'))
    const tree = await page('q=ERROR&path=logs&limit=1000')
    expect(tree.matches).toHaveLength(28)
    const both = await page(`q=ERROR&service=server&path=${encodeURIComponent('categorized/server/local')}`)
    expect(both.matches).toHaveLength(14)
    const none = await page('q=nothing-like-this')
    expect(none).toEqual({ matches: [], cursor: null, errors: [] })
  })

  it('NDJSON: one match per line, a last cursor line when limit cut it short; the cursor goes on in a JSON page', async () => {
    const r = await h.get('/search?q=ERROR&limit=5', { accept: 'application/x-ndjson' })
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toMatch(/^application\/x-ndjson/)
    const items = r.body.toString().trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(items).toHaveLength(6)
    const first = await page('q=ERROR&limit=1000')
    expect(items.slice(0, 5)).toEqual(first.matches.slice(0, 5))
    const cursor = (items[5] as { cursor: string }).cursor
    const rest = await page(`q=ERROR&limit=1000&cursor=${cursor}`)
    expect([...(items.slice(0, 5) as unknown as SearchMatch[]), ...rest.matches]).toEqual(first.matches)
    // A stream may ask for more than a page holds.
    const big = await h.get('/search?q=line&limit=20000', { accept: 'application/x-ndjson' })
    expect(big.status).toBe(200)
    expect(big.body.toString().trimEnd().split('\n')).toHaveLength(80)
  })

  it('every bad parameter is a 400 naming it', async () => {
    await refused('regex=1', 400, 'q', 'ERR_MISSING_PARAM')
    await refused('q=', 400, 'q')
    await refused(`q=${encodeURIComponent('(')}&regex=1`, 400, 'q')
    await refused('q=a&regex=yes', 400, 'regex')
    await refused('q=a&ignoreCase=2', 400, 'ignoreCase')
    await refused('q=a&limit=0', 400, 'limit')
    await refused('q=a&limit=abc', 400, 'limit')
    await refused('q=a&limit=20000', 400, 'limit')
    await refused('q=a&context=21', 400, 'context')
    await refused('q=a&since=tuesday', 400, 'since')
    await refused('q=a&since=2026-12-02&until=2026-12-01', 400, 'until')
    await refused('q=a&service=nope', 400, 'service')
    await refused('q=a&bogus=1', 400, 'bogus', 'ERR_UNKNOWN_PARAM')
    await refused('q=a&cursor=garbage', 400, 'cursor')
    const other = (await page('q=line&limit=1')).cursor as string
    await refused(`q=ERROR&limit=1&cursor=${other}`, 400, 'cursor')
    await refused(`q=a&service=client&path=${encodeURIComponent('categorized/server')}`, 400, 'path')
  })

  it('paths outside the served trees are refused, none searched', async () => {
    await refused(`q=root&path=${encodeURIComponent('../../../../etc/passwd')}`, 400, 'path', 'ERR_PATH_TRAVERSAL')
    await refused(`q=root&path=${encodeURIComponent('logs/../../etc')}`, 400, 'path', 'ERR_PATH_TRAVERSAL')
    await refused(`q=root&path=${encodeURIComponent('logs/%2e%2e/%2e%2e/etc')}`, 400, 'path', 'ERR_PATH_TRAVERSAL')
    await refused(`q=root&path=${encodeURIComponent('/etc')}`, 400, 'path', 'ERR_INVALID_PATH')
    await refused(`q=root&path=${encodeURIComponent('logs\\..\\..\\etc')}`, 400, 'path', 'ERR_INVALID_PATH')
    await refused('q=root&path=etc', 403, 'path', 'ERR_PATH_OUTSIDE_ROOT')
    await refused('q=root&path=logs/nope', 404, 'path', 'ERR_NOT_FOUND')
    symlinkSync('/etc', join(h.dataDir, 'logs', 'local', 'etc-link'))
    await refused('q=root&path=logs/local/etc-link', 403, 'path', 'ERR_PATH_OUTSIDE_ROOT')
    // A link inside a searched directory is not followed.
    const tree = await page('q=root&path=logs&limit=1000')
    expect(tree.matches).toEqual([])
  })

  it('a client that goes away stops the scan', async () => {
    const dir = join(h.dataDir, 'categorized', 'uncategorized', 'local')
    mkdirSync(dir, { recursive: true })
    const fifo = join(dir, 'pipe.log')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const w = createWriteStream(fifo)
    const chunk = 'pipe ERROR line\n'.repeat(4096)
    let epipe = false
    const closed = new Promise<void>((resolve) => {
      w.on('error', (e: NodeJS.ErrnoException) => {
        epipe = e.code === 'EPIPE'
        resolve()
      })
    })
    const pump = (): void => {
      while (!w.destroyed && w.write(chunk));
      if (!w.destroyed) w.once('drain', pump)
    }
    pump()
    const u = new URL(h.url)
    const got = await new Promise<number>((resolve, reject) => {
      const req = get({ host: u.hostname, port: u.port, path: `/search?q=ERROR&limit=1000000&path=${encodeURIComponent('categorized/uncategorized/local/pipe.log')}`, headers: { accept: 'application/x-ndjson' } }, (res) => {
        let n = 0
        res.on('data', (c: Buffer) => {
          n += c.length
          if (n > 100_000) {
            req.destroy()
            resolve(n)
          }
        })
      })
      req.on('error', (e) => (e.message.includes('socket hang up') ? undefined : reject(e)))
    })
    expect(got).toBeGreaterThan(100_000)
    let t: NodeJS.Timeout | undefined
    await Promise.race([closed, new Promise((r) => (t = setTimeout(r, 10_000)))])
    clearTimeout(t)
    w.destroy()
    expect(epipe).toBe(true)
  })
})
