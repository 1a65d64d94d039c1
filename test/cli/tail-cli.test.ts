// `logferry tail` run as a child process (the built dist/cli.js): a local file against GNU tail,
// following a local file through rotation and truncation, and following a file of a running
// service over SSE across reconnects (every line once), with its token; usage errors.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHarness, type Harness } from '../service/http-harness.js'

const CLI = resolve('dist/cli.js')
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const numbered = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `n${from + i}`)

interface Run {
  child: ChildProcess
  out: () => string
  err: () => string
  until(pred: (out: string) => boolean, ms?: number): Promise<void>
  exit: Promise<number | null>
}

function run(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [CLI, 'tail', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOGFERRY_TOKEN: '', ...env } })
  let out = ''
  let err = ''
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s))
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (err += s))
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  return {
    child,
    out: () => out,
    err: () => err,
    exit,
    async until(pred, ms = 8000) {
      const t0 = Date.now()
      while (!pred(out)) {
        if (Date.now() - t0 > ms) throw new Error(`timed out; stdout: ${out.slice(-500)} stderr: ${err.slice(-500)}`)
        await sleep(25)
      }
    },
  }
}

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'logferry-tail-cli-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('logferry tail PATH', () => {
  it('-n N prints what GNU tail -n N prints', async () => {
    const f = join(dir, 'plain.log')
    writeFileSync(f, `${numbered(0, 500).join('\n')}\nno final newline`)
    for (const n of ['0', '1', '7', '600']) {
      const r = run(['-n', n, f])
      expect(await r.exit).toBe(0)
      expect(r.out()).toBe(execFileSync('tail', ['-n', n, f], { encoding: 'utf8' }))
    }
  })

  it('-f follows appends, a rotation by name and a truncation; Ctrl-C exits 0', async () => {
    const f = join(dir, 'follow.log')
    writeFileSync(f, 'a\nb\nc\n')
    const r = run(['-f', '-n', '2', f])
    await r.until((o) => o === 'b\nc\n')
    appendFileSync(f, 'd\n')
    await r.until((o) => o.endsWith('d\n'))
    appendFileSync(f, 'last of old\n')
    renameSync(f, join(dir, 'follow_2026-12-02_03-00-00.log'))
    writeFileSync(f, 'first of new\n')
    await r.until((o) => o.endsWith('first of new\n'))
    truncateSync(f, 0)
    await sleep(300)
    appendFileSync(f, 'after truncate\n')
    await r.until((o) => o.endsWith('after truncate\n'))
    expect(r.out()).toBe('b\nc\nd\nlast of old\nfirst of new\nafter truncate\n')
    expect(r.err()).toMatch(/file rotated/)
    expect(r.err()).toMatch(/file truncated/)
    r.child.kill('SIGINT')
    expect(await r.exit).toBe(0)
  })

  it('usage errors exit 2, a missing file 1', async () => {
    expect(await run([]).exit).toBe(2)
    expect(await run(['-n', 'x', 'f']).exit).toBe(2)
    expect(await run(['http://127.0.0.1:1/']).exit).toBe(2)
    const missing = run([join(dir, 'nope.log')])
    expect(await missing.exit).toBe(1)
    expect(missing.err()).toMatch(/ENOENT/)
  })
})

describe('logferry tail URL', () => {
  let h: Harness
  const token = 'cli-tail-token-abcdef'
  beforeAll(async () => {
    // Streams end every 400 ms: the command reconnects with Last-Event-ID each time.
    h = await startHarness({ token, tail: { maxDuration: 400 } })
    // Written straight into the served tree (the harness syncs only at its start).
    mkdirSync(join(h.dataDir, 'logs', h.source, 'live'), { recursive: true })
    writeFileSync(join(h.dataDir, 'logs', h.source, 'live', 'svc.log'), `${numbered(0, 20).join('\n')}\n`)
  })
  afterAll(async () => h.stop())

  it('-n without -f prints the last lines; without the token it fails with the API error', async () => {
    const url = `${h.url}/?path=logs/local/live/svc.log`
    const ok = run(['-n', '3', url], { LOGFERRY_TOKEN: token })
    expect(await ok.exit).toBe(0)
    expect(ok.out()).toBe('n17\nn18\nn19\n')
    const denied = run(['-n', '3', url])
    expect(await denied.exit).toBe(1)
    expect(denied.err()).toMatch(/401.*ERR_UNAUTHORIZED/)
  })

  it('-f: every line exactly once across several reconnects (the stream ends every 400 ms)', async () => {
    const f = join(h.dataDir, 'logs', h.source, 'live', 'app.log')
    writeFileSync(f, 'start\n')
    const tokenFile = join(dir, 'token')
    writeFileSync(tokenFile, `${token}\n`)
    const r = run(['-f', '-n', '1', '--token-file', tokenFile, `${h.url}/logs/stream?path=logs/local/live/app.log`])
    await r.until((o) => o === 'start\n')
    for (let i = 0; i < 2000; i += 100) {
      appendFileSync(f, `${numbered(i, i + 100).join('\n')}\n`)
      await sleep(60)
    }
    await r.until((o) => o.endsWith('n1999\n'))
    expect(r.out()).toBe(`start\n${numbered(0, 2000).join('\n')}\n`)
    expect((r.err().match(/stream ended: max-duration/g) ?? []).length).toBeGreaterThanOrEqual(2)
    r.child.kill('SIGINT')
    expect(await r.exit).toBe(0)
  }, 20_000)
})
