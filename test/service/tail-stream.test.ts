/**
 * Live tail (`GET /logs/stream`) against the real service on 127.0.0.1, with real files: no
 * line lost or duplicated across 20+ rotations of logferry's own Logger; truncation; partial
 * lines; a file grown by the service's own sync (a replaced copy, not a rotation); the
 * slow-client bound with exact accounting of delivered + dropped lines; SSE resume by
 * Last-Event-ID; WebSocket; fan-out to one follower per file.
 */
import { appendFileSync, mkdirSync, readdirSync, renameSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { connect } from 'node:net'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Logger } from '../../dist/index.js'
import { ConfigError } from '../../ts/config-error.js'
import { resolveSettings } from '../../ts/service/settings.js'
import { rawRequest, startHarness, type Harness } from './http-harness.js'
import { openSse, openWs, type TailEvent, type TailReader } from './tail-sse-client.js'

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const q = (rel: string, extra = ''): string => `/logs/stream?path=${encodeURIComponent(rel)}${extra}`
const numbered = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `line ${String(from + i).padStart(7, '0')}`)

async function metric(h: Harness, name: string): Promise<number> {
  const text = (await h.get('/metrics')).body.toString()
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)
  if (m === null) throw new Error(`no metric ${name}`)
  return Number(m[1])
}

describe('live tail over SSE and WebSocket', () => {
  let h: Harness
  let dir: string
  const readers: TailReader[] = []
  const open = async (rel: string, extra = '', headers: Record<string, string> = {}): Promise<TailReader> => {
    const r = await openSse(h.url, q(rel, extra), headers)
    readers.push(r)
    return r
  }

  beforeAll(async () => {
    h = await startHarness({ tail: { bufferLines: 500, bufferBytes: 64 * 1024, maxClients: 20 } })
    // Files written straight into the served tree (this harness syncs only at start).
    dir = join(h.dataDir, 'logs', h.source, 'live')
    mkdirSync(dir, { recursive: true })
  })
  afterAll(async () => {
    for (const r of readers) r.close()
    await h.stop()
  })

  it('no line lost or duplicated across 20+ rotations of a Logger writing 100,000 numbered lines', async () => {
    const N = 100_000
    const logger = new Logger({ logFilePath: join(dir, 'app.log'), maxFileSize: 48 * 1024, flushInterval: 5 })
    logger.log(numbered(0, 1)[0] as string)
    await logger.flush()
    const r = await open('logs/local/live/app.log', '&tail=100')
    expect(r.status).toBe(200)
    // A paced writer (about 50,000 lines/s): each file lives tens of milliseconds.
    for (let i = 1; i < N; i += 1000) {
      for (const l of numbered(i, Math.min(N, i + 1000))) logger.log(l)
      await sleep(15)
    }
    await logger.close()
    const last = numbered(N - 1, N)[0]
    await r.until((ev) => ev.some((e) => e.type === 'lines' && e.lines?.at(-1) === last), 15_000, 'the last line')
    const got = r.lines()
    expect(got.length).toBe(N)
    expect(got).toEqual(numbered(0, N))
    const rotations = r.events.filter((e) => e.type === 'rotated').length
    expect(logger.getStats().rotations).toBeGreaterThanOrEqual(20)
    expect(rotations).toBeGreaterThanOrEqual(20)
    // Rotated by renaming to sealed names (crates/core/src/sealed_name.rs): new inodes each time.
    const sealed = readdirSync(dir).filter((n) => /^app_\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}(_\d+)?\.log$/.test(n))
    expect(sealed.length).toBeGreaterThanOrEqual(20)
    expect(r.events.some((e) => e.type === 'dropped')).toBe(false)
    r.close()
  }, 30_000)

  it('sends the last N lines, then appended lines; a partial line waits for its newline', async () => {
    const f = join(dir, 'partial.log')
    writeFileSync(f, 'a\nb\nc\n')
    const r = await open('logs/local/live/partial.log', '&tail=2')
    await r.until((ev) => ev.length >= 1, 3000, 'the tail')
    expect(r.lines()).toEqual(['b', 'c'])
    appendFileSync(f, 'hal')
    await sleep(400)
    expect(r.lines()).toEqual(['b', 'c'])
    appendFileSync(f, 'f line\nx')
    await r.until(() => r.lines().length === 3, 3000, 'the completed line')
    expect(r.lines()).toEqual(['b', 'c', 'half line'])
    r.close()
  })

  it('rotation by name: the old file is drained (its last line without newline too), then the new one is read from its start', async () => {
    const f = join(dir, 'rot.log')
    writeFileSync(f, 'one\n')
    const r = await open('logs/local/live/rot.log', '&tail=5')
    await r.until(() => r.lines().length === 1, 3000, 'the tail')
    appendFileSync(f, 'two\nthree-no-newline')
    renameSync(f, join(dir, 'rot_2026-12-02_03-00-00.log'))
    writeFileSync(f, 'new 1\nnew 2\n')
    await r.until(() => r.lines().includes('new 2'), 3000, 'the new file')
    expect(r.lines()).toEqual(['one', 'two', 'three-no-newline', 'new 1', 'new 2'])
    const types = r.events.map((e) => e.type)
    expect(types.indexOf('rotated')).toBeGreaterThan(0)
    r.close()
  })

  it('two rotations before the follower wakes: the file sealed in between is read too (by its sealed name)', async () => {
    const f = join(dir, 'rec.log')
    writeFileSync(f, 'r1\n')
    const r = await open('logs/local/live/rec.log', '&tail=5')
    await r.until(() => r.lines().length === 1, 3000, 'the tail')
    // One synchronous block in the service's own process: the follower cannot wake in between.
    appendFileSync(f, 'r2\n')
    renameSync(f, join(dir, 'rec_2026-12-02_03-00-00.log'))
    writeFileSync(f, 'b1\nb2-no-newline')
    renameSync(f, join(dir, 'rec_2026-12-02_03-00-00_1.log'))
    writeFileSync(f, 'c1\n')
    await r.until(() => r.lines().includes('c1'), 3000, 'the current file')
    expect(r.lines()).toEqual(['r1', 'r2', 'b1', 'b2-no-newline', 'c1'])
    expect(r.events.filter((e) => e.type === 'rotated').length).toBe(2)
    r.close()
  })

  it('truncation is reported and reading restarts at offset 0', async () => {
    const f = join(dir, 'trunc.log')
    writeFileSync(f, numbered(0, 50).join('\n') + '\n')
    const r = await open('logs/local/live/trunc.log', '&tail=1')
    await r.until(() => r.lines().length === 1, 3000, 'the tail')
    truncateSync(f, 0)
    await r.until((ev) => ev.some((e) => e.type === 'truncated'), 3000, 'truncated')
    appendFileSync(f, 'after 1\nafter 2\n')
    await r.until(() => r.lines().includes('after 2'), 3000, 'lines after truncation')
    expect(r.lines()).toEqual(['line 0000049', 'after 1', 'after 2'])
    const t = r.events.find((e) => e.type === 'truncated') as TailEvent
    expect(t.size).toBe(0)
    r.close()
  })

  it('a client that never reads: the server holds a bounded amount, counts what it dropped, and delivered + dropped = written', async () => {
    const f = join(dir, 'flood.log')
    writeFileSync(f, '')
    // A raw socket that sends its request and then never reads.
    const sock = connect(Number(new URL(h.url).port), '127.0.0.1')
    await new Promise((r) => sock.once('connect', r))
    sock.write(`GET ${q('logs/local/live/flood.log', '&tail=0')} HTTP/1.1\r\nhost: x\r\naccept: text/event-stream\r\n\r\n`)
    sock.pause()
    await sleep(200)
    const N = 200_000
    const pad = 'x'.repeat(90)
    for (let i = 0; i < N; i += 10_000) appendFileSync(f, numbered(i, i + 10_000).map((l) => `${l} ${pad}`).join('\n') + '\n')
    await sleep(800)
    const held = await metric(h, 'logferry_tail_held_bytes')
    const dropped = await metric(h, 'logferry_tail_dropped_lines_total')
    // 64 KiB of buffer, plus at most one frame of a read block the socket accepted.
    expect(held).toBeLessThan(64 * 1024 + 1024 * 1024)
    expect(dropped).toBeGreaterThan(0)
    // Now it reads everything: every line written is either delivered or counted as dropped.
    let text = ''
    sock.setEncoding('utf8')
    sock.on('data', (s: string) => (text += s))
    sock.resume()
    const count = (): { lines: number; dropped: number; last: string | undefined } => {
      let lines = 0
      let drop = 0
      let last: string | undefined
      for (const m of text.matchAll(/^data: (.*)$/gm)) {
        const e = JSON.parse(m[1] as string) as TailEvent
        if (e.type === 'lines') {
          lines += e.lines?.length ?? 0
          last = e.lines?.at(-1)
        }
        if (e.type === 'dropped') drop += e.count ?? 0
      }
      return { lines, dropped: drop, last }
    }
    const t0 = Date.now()
    while (Date.now() - t0 < 10_000) {
      const c = count()
      if (c.lines + c.dropped === N) break
      await sleep(100)
    }
    expect(count().dropped).toBeGreaterThan(0)
    expect(count().lines + count().dropped).toBe(N)
    // Caught up: the next line is delivered, not dropped.
    appendFileSync(f, 'after the flood\n')
    while (Date.now() - t0 < 15_000 && count().last !== 'after the flood') await sleep(50)
    const c = count()
    expect(c.last).toBe('after the flood')
    expect(c.lines + c.dropped).toBe(N + 1)
    sock.destroy()
  }, 30_000)

  it('SSE resume with Last-Event-ID: exactly the lines after it, none twice; the lastEventId parameter does the same', async () => {
    const f = join(dir, 'resume.log')
    writeFileSync(f, numbered(0, 10).join('\n') + '\n')
    const a = await open('logs/local/live/resume.log', '&tail=3')
    await a.until(() => a.lines().length === 3, 3000, 'the tail')
    appendFileSync(f, numbered(10, 20).join('\n') + '\n')
    await a.until(() => a.lines().length === 13, 3000, 'the appended lines')
    const lastId = a.events.filter((e) => e.type === 'lines').at(-1)?.id as string
    expect(lastId).toMatch(/^\d+-[A-Za-z0-9_-]{12}$/)
    a.close()
    await a.closed
    // Written while no client is connected (the follower is gone with its last client).
    appendFileSync(f, numbered(20, 35).join('\n') + '\n')
    const b = await open('logs/local/live/resume.log', '&tail=3', { 'last-event-id': lastId })
    await b.until(() => b.lines().length === 15, 3000, 'the lines written meanwhile')
    appendFileSync(f, numbered(35, 40).join('\n') + '\n')
    await b.until(() => b.lines().length === 20, 3000, 'live lines after resume')
    expect(b.lines()).toEqual(numbered(20, 40))
    const c = await open('logs/local/live/resume.log', `&lastEventId=${lastId}`)
    await c.until(() => c.lines().length === 20, 3000, 'resume by parameter')
    await sleep(200)
    expect(c.lines()).toEqual(numbered(20, 40))
    b.close()
    c.close()
  })

  it('resume after the file rotated: a gap event, then the new file from its start', async () => {
    const f = join(dir, 'gap.log')
    writeFileSync(f, numbered(0, 5).join('\n') + '\n')
    const a = await open('logs/local/live/gap.log', '&tail=5')
    await a.until(() => a.lines().length === 5, 3000, 'the tail')
    const lastId = a.events.at(-1)?.id as string
    a.close()
    await a.closed
    renameSync(f, join(dir, 'gap_2026-12-02_03-00-00.log'))
    writeFileSync(f, 'fresh 1\nfresh 2\n')
    const b = await open('logs/local/live/gap.log', '', { 'last-event-id': lastId })
    await b.until(() => b.lines().length === 2, 3000, 'the new file')
    expect(b.events[0]?.type).toBe('gap')
    expect(b.lines()).toEqual(['fresh 1', 'fresh 2'])
    b.close()
  })

  it('WebSocket: the same events on the same URL', async () => {
    const f = join(dir, 'ws.log')
    writeFileSync(f, 'w1\nw2\n')
    const r = await openWs(h.url, q('logs/local/live/ws.log', '&tail=1'))
    readers.push(r)
    expect(r.status).toBe(101)
    await r.until(() => r.lines().length === 1, 3000, 'the tail')
    appendFileSync(f, 'w3\n')
    await r.until(() => r.lines().length === 2, 3000, 'an appended line')
    expect(r.lines()).toEqual(['w2', 'w3'])
    expect(r.events.every((e) => e.type !== 'lines' || /^\d+-/.test(e.id as string))).toBe(true)
    const bad = await openWs(h.url, '/logs/stream?path=../../etc/passwd')
    expect(bad.status).toBe(400)
    expect(JSON.parse(bad.body).error.code).toBe('ERR_PATH_TRAVERSAL')
    r.close()
  })

  it('one follower per file, shared by its clients, closed with the last one', async () => {
    const f = join(dir, 'fan.log')
    writeFileSync(f, '')
    const clients = await Promise.all([1, 2, 3].map(() => open('logs/local/live/fan.log')))
    await sleep(100)
    const files = await metric(h, 'logferry_tail_files')
    expect(await metric(h, 'logferry_tail_clients')).toBeGreaterThanOrEqual(3)
    appendFileSync(f, 'to all\n')
    for (const c of clients) await c.until(() => c.lines().length === 1, 3000, 'the line')
    for (const c of clients) c.close()
    await Promise.all(clients.map((c) => c.closed))
    await sleep(100)
    expect(await metric(h, 'logferry_tail_files')).toBe(files - 1)
  })

  it('a .gz file: its last lines, then the stream ends (reason compressed)', async () => {
    await h.put('old.log.gz', gzipSync(Buffer.from('g1\ng2\ng3\n')))
    await h.sync()
    const r = await open('logs/local/old.log.gz', '&tail=2')
    await r.closed
    expect(r.lines()).toEqual(['g2', 'g3'])
    expect(r.events.at(-1)).toEqual({ type: 'end', reason: 'compressed' })
  })

  it('bad requests: 400 naming the parameter, 404, 406, 503 past maxClients', async () => {
    writeFileSync(join(dir, 'p.log'), 'x\n')
    const cases: [string, number, string, string | undefined][] = [
      ['/logs/stream', 400, 'ERR_MISSING_PARAM', 'path'],
      [q('logs/local/live/p.log', '&tail=-1'), 400, 'ERR_INVALID_PARAM', 'tail'],
      [q('logs/local/live/p.log', '&tail=abc'), 400, 'ERR_INVALID_PARAM', 'tail'],
      [q('logs/local/live/p.log', '&tail=100000000'), 400, 'ERR_INVALID_PARAM', 'tail'],
      [q('logs/local/live/p.log', '&follow=1'), 400, 'ERR_UNKNOWN_PARAM', 'follow'],
      [q('logs/local/live/p.log', '&lastEventId=12'), 400, 'ERR_INVALID_PARAM', 'lastEventId'],
      [q('logs/local/live/nope.log'), 404, 'ERR_NOT_FOUND', 'path'],
      [q('/etc/passwd'), 400, 'ERR_INVALID_PATH', 'path'],
      [q('logs/%2e%2e/x'), 400, 'ERR_PATH_TRAVERSAL', 'path'],
    ]
    for (const [url, status, code, param] of cases) {
      const r = await openSse(h.url, url)
      expect([url, r.status]).toEqual([url, status])
      const e = JSON.parse(r.body).error
      expect([url, e.code, e.param]).toEqual([url, code, param])
    }
    const plain = await rawRequest(h.url, 'GET', q('logs/local/live/p.log'))
    expect(plain.status).toBe(406)
    expect((plain.json() as { error: { code: string } }).error.code).toBe('ERR_NOT_ACCEPTABLE')
    const held: TailReader[] = []
    for (let i = 0; i < 25; i++) {
      const r = await openSse(h.url, q('logs/local/live/p.log'))
      held.push(r)
      if (r.status === 503) break
    }
    const refused = held.at(-1) as TailReader
    expect(refused.status).toBe(503)
    expect(JSON.parse(refused.body).error.code).toBe('ERR_TOO_MANY_STREAMS')
    for (const r of held) r.close()
  })
})

describe('live tail of a file the service syncs (replaced by a copy each sync, not rotated)', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(async () => h.stop())

  it('lines appended at the source arrive once per sync, none twice, no rotation reported', async () => {
    await h.put('server-1.log', numbered(0, 100).join('\n') + '\n')
    await h.sync()
    const list = (await h.get('/logs?name=server-1.log')).json() as { files: { path: string }[] }
    const path = list.files[0]?.path as string
    expect(path.startsWith('categorized/server/')).toBe(true)
    const r = await openSse(h.url, q(path, '&tail=10'))
    expect(r.status).toBe(200)
    await r.until(() => r.lines().length === 10, 3000, 'the tail')
    for (let round = 1; round <= 3; round++) {
      appendFileSync(join(h.sourceDir, 'server-1.log'), numbered(100 * round, 100 * round + 100).join('\n') + '\n')
      await h.sync()
      await r.until(() => r.lines().length === 10 + 100 * round, 3000, `round ${round}`)
    }
    expect(r.lines()).toEqual(numbered(90, 400))
    expect(r.events.filter((e) => e.type === 'rotated' || e.type === 'truncated')).toEqual([])
    r.close()
  })
})

describe('live tail auth', () => {
  let h: Harness
  const token = 'tail-test-token-0123456789'
  beforeAll(async () => {
    h = await startHarness({ token, tail: { ticketTtl: 1500 } })
    await h.put('a.log', 'a1\na2\n')
    await h.sync()
  })
  afterAll(async () => h.stop())

  it('bearer token as the REST API; a stream ticket for clients that cannot send headers', async () => {
    const path = 'logs/local/a.log'
    const none = await openSse(h.url, q(path))
    expect(none.status).toBe(401)
    expect(JSON.parse(none.body).error.code).toBe('ERR_UNAUTHORIZED')
    const wrong = await openSse(h.url, q(path), { authorization: 'Bearer nope' })
    expect(wrong.status).toBe(401)
    const ok = await openSse(h.url, q(path, '&tail=1'), { authorization: `Bearer ${token}` })
    expect(ok.status).toBe(200)
    await ok.until(() => ok.lines().length === 1, 3000, 'the tail')
    ok.close()

    // A ticket needs the token, and opens streams of its path only, until it expires.
    expect((await rawRequest(h.url, 'POST', `/logs/stream/ticket?path=${path}`)).status).toBe(401)
    const t = await rawRequest(h.url, 'POST', `/logs/stream/ticket?path=${path}`, { authorization: `Bearer ${token}` })
    expect(t.status).toBe(200)
    const { ticket, expiresAt } = t.json() as { ticket: string; expiresAt: string }
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now())
    const byTicket = await openSse(h.url, q(path, `&tail=2&ticket=${ticket}`))
    expect(byTicket.status).toBe(200)
    await byTicket.until(() => byTicket.lines().length === 2, 3000, 'the tail')
    byTicket.close()
    const ws = await openWs(h.url, q(path, `&tail=2&ticket=${ticket}`))
    expect(ws.status).toBe(101)
    await ws.until(() => ws.lines().length === 2, 3000, 'the tail over ws')
    ws.close()
    await h.put('b.log', 'b\n')
    await h.sync()
    const otherPath = await openSse(h.url, q('logs/local/b.log', `&ticket=${ticket}`))
    expect(otherPath.status).toBe(401)
    const forged = await openSse(h.url, q(path, `&ticket=${ticket.slice(0, -2)}AA`))
    expect(forged.status).toBe(401)
    // Tickets open nothing else.
    const content = await rawRequest(h.url, 'GET', `/logs/content?path=${path}&ticket=${ticket}`)
    expect(content.status).toBe(401)
    await sleep(1600)
    const expired = await openSse(h.url, q(path, `&ticket=${ticket}`))
    expect(expired.status).toBe(401)
  })
})

describe('live tail settings', () => {
  it('tail.* keys are checked by the options validator, naming the key', () => {
    // resolveSettings reads and creates nothing with these.
    const base = { cwd: tmpdir(), env: {}, ignoreEnvFiles: true }
    const s = resolveSettings({ ...base, tail: { maxDuration: '2h', bufferLines: 50, bufferBytes: '2MiB', watch: 'false' } as never })
    expect(s.tail.maxDuration).toBe(7_200_000)
    expect(s.tail.bufferLines).toBe(50)
    expect(s.tail.bufferBytes).toBe(2 * 1024 * 1024)
    expect(s.tail.watch).toBe(false)
    expect(s.tail.maxClients).toBe(100)
    for (const [tail, key] of [
      [{ bufferLines: 0 }, 'tail.bufferLines'],
      [{ maxClients: 'many' }, 'tail.maxClients'],
      [{ maxDuration: 'soon' }, 'tail.maxDuration'],
      [{ pollInterval: 1 }, 'tail.pollInterval'],
      [{ buffer: 1 }, 'tail.buffer'],
      [{ bufferBytes: '2GiB' }, 'tail.bufferBytes'],
      [{ watch: 'maybe' }, 'tail.watch'],
    ] as const) {
      let err: unknown
      try {
        resolveSettings({ ...base, tail: tail as never })
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).key).toBe(key)
    }
  })

  it('tail.watch false: polling alone delivers appends and follows a rotation', async () => {
    const h = await startHarness({ tail: { watch: false, pollInterval: 100 } })
    try {
      const dir = join(h.dataDir, 'logs', h.source)
      const f = join(dir, 'polled.log')
      writeFileSync(f, 'p1\n')
      const r = await openSse(h.url, q('logs/local/polled.log', '&tail=1'))
      await r.until(() => r.lines().length === 1, 3000, 'the tail')
      appendFileSync(f, 'p2\n')
      await r.until(() => r.lines().length === 2, 3000, 'a polled append')
      renameSync(f, join(dir, 'polled_2026-12-02_03-00-00.log'))
      writeFileSync(f, 'p3\n')
      await r.until(() => r.lines().length === 3, 3000, 'the new file')
      expect(r.lines()).toEqual(['p1', 'p2', 'p3'])
      expect(r.events.some((e) => e.type === 'rotated')).toBe(true)
      r.close()
    } finally {
      await h.stop()
    }
  })

  it('a client that takes nothing for tail.stallTimeout is disconnected', async () => {
    const h = await startHarness({ tail: { stallTimeout: 300, bufferLines: 100 } })
    try {
      const f = join(h.dataDir, 'logs', h.source, 'stall.log')
      writeFileSync(f, '')
      const sock = connect(Number(new URL(h.url).port), '127.0.0.1')
      await new Promise((r) => sock.once('connect', r))
      const closed = new Promise<void>((r) => sock.once('close', () => r()))
      sock.write(`GET ${q('logs/local/stall.log', '&tail=0')} HTTP/1.1\r\nhost: x\r\naccept: text/event-stream\r\n\r\n`)
      sock.pause()
      await sleep(200)
      expect(await metric(h, 'logferry_tail_clients')).toBe(1)
      const line = `${'y'.repeat(200)}\n`
      for (let i = 0; i < 20; i++) appendFileSync(f, line.repeat(10_000))
      const t0 = Date.now()
      while (Date.now() - t0 < 5000 && (await metric(h, 'logferry_tail_clients')) > 0) await sleep(100)
      expect(await metric(h, 'logferry_tail_clients')).toBe(0)
      expect(await metric(h, 'logferry_tail_held_bytes')).toBe(0)
      sock.resume()
      await closed
    } finally {
      await h.stop()
    }
  })

  it('a stream ends after tail.maxDuration with an end event', async () => {
    const h = await startHarness({ tail: { maxDuration: 300 } })
    try {
      const f = join(h.dataDir, 'logs', h.source, 'd.log')
      writeFileSync(f, 'x\n')
      const r = await openSse(h.url, q('logs/local/d.log'))
      await r.closed
      expect(r.events.at(-1)).toEqual({ type: 'end', reason: 'max-duration' })
    } finally {
      await h.stop()
    }
  })
})
