// kill -9 and restart: the service comes back from its state store (ts/service/service-state.ts)
// without fetching again what it had, with its categories, error counts and events, and with
// the status history of its sources. Killed in the middle of a first sync, the restart fetches
// only what had not come yet.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alive } from '../servers/process.js'

const CLI = resolve('dist', 'cli.js')
const work = mkdtempSync(join(tmpdir(), 'lf-restart-'))
const children: ChildProcess[] = []

function env(): NodeJS.ProcessEnv {
  const e = { ...process.env }
  for (const k of Object.keys(e)) if (/^(SSH_|REMOTE_BASE_PATH|SYNC_INTERVAL|LOG_LEVEL|LOGFERRY_)/.test(k)) delete e[k]
  return e
}

async function start(dataDir: string, src: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--data-dir', dataDir, '--source', `box=${src}`, '--sync-interval', '0', '--log-level', 'warn'], { cwd: work, env: env(), stdio: ['ignore', 'ignore', 'pipe'] })
  children.push(child)
  let err = ''
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()))
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    const m = /listening on (http:\/\/\S+)/.exec(err)
    if (m) return { child, url: m[1] as string }
    if (child.exitCode !== null) break
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`no URL: ${err}`)
}

async function killHard(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL')
  while (child.pid !== undefined && alive(child.pid) && child.exitCode === null && child.signalCode === null) await new Promise((r) => setTimeout(r, 20))
}

const json = async <T>(url: string, init?: RequestInit): Promise<T> => (await (await fetch(url, init)).json()) as T

interface Status {
  syncing: string | null
  syncCount: number
  lastSync?: { filesTransferred: number }
  sources: { name: string; totalFilesTransferred: number; syncCount: number }[]
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build:ts` first (npm test does)')
})
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  rmSync(work, { recursive: true, force: true })
})

describe('kill -9, then restart on the same data directory', () => {
  it('keeps categories, error counts and events, source history; fetches nothing again', async () => {
    const src = mkdtempSync(join(work, 'src-'))
    for (let i = 0; i < 40; i++) writeFileSync(join(src, `${['server', 'client', 'vllm', 'grafana'][i % 4]}-${i}.log`), `INFO start\n${i % 3 === 0 ? 'CUDA out of memory\n' : ''}WARN w\n`)
    const dataDir = join(work, 'data-a')
    const a = await start(dataDir, src)
    await json(`${a.url}/sync/trigger?wait=true`, { method: 'POST' })
    const stats = await json<{ services: unknown[] }>(`${a.url}/services/stats`)
    const errors = await json<{ total: number; events: unknown[] }>(`${a.url}/errors?limit=1000`)
    expect(errors.total).toBe(14)
    const before = await json<Status>(`${a.url}/status`)
    await killHard(a.child)

    const b = await start(dataDir, src)
    const done = await json<{ result: { filesTransferred: number } }>(`${b.url}/sync/trigger?wait=true`, { method: 'POST' })
    expect(done.result.filesTransferred).toBe(0)
    expect(await json(`${b.url}/services/stats`)).toEqual(stats)
    expect(await json(`${b.url}/errors?limit=1000`)).toEqual(errors)
    const after = await json<Status>(`${b.url}/status`)
    expect(after.sources[0]?.totalFilesTransferred).toBe(before.sources[0]?.totalFilesTransferred)
    expect(after.syncCount).toBeGreaterThan(before.syncCount)
    await killHard(b.child)
  })

  it('killed during its first sync: the restart fetches only what had not come, and catalogues all', async () => {
    const src = mkdtempSync(join(work, 'src-'))
    const N = 1500
    for (let i = 0; i < N; i++) writeFileSync(join(src, `server-${i}.log`), `ERROR e${i}\n`)
    const dataDir = join(work, 'data-b')
    const a = await start(dataDir, src)
    const mirror = join(dataDir, 'logs', 'box')
    const deadline = Date.now() + 60_000
    // Files are published (renamed from their hidden temp names) in batches, so only the
    // published ones count; killed once part of them are in the mirror, the sync still running.
    const published = (): number => (existsSync(mirror) ? readdirSync(mirror).filter((f) => !f.startsWith('.')).length : 0)
    while (Date.now() < deadline && published() < 200) await new Promise((r) => setTimeout(r, 10))
    const status = await json<Status>(`${a.url}/status`)
    await killHard(a.child)
    const came = published()
    expect(status.syncing).not.toBeNull()
    expect(came).toBeGreaterThan(0)
    expect(came).toBeLessThan(N)

    const b = await start(dataDir, src)
    // The restart's own first sync (joined).
    const r = await json<{ result: { filesTransferred: number } }>(`${b.url}/sync/trigger?wait=true`, { method: 'POST' })
    const joinedFirst = r.result.filesTransferred
    const again = await json<{ result: { filesTransferred: number } }>(`${b.url}/sync/trigger?wait=true`, { method: 'POST' })
    const fetched = joinedFirst + again.result.filesTransferred
    // What came before the kill is not fetched again (a file cut mid-copy by the kill was never renamed into place).
    expect(fetched).toBeLessThanOrEqual(N - came)
    expect(fetched).toBeGreaterThanOrEqual(N - came - 1)
    const services = await json<{ services: { name: string; files: number; errors: number }[] }>(`${b.url}/services/stats`)
    expect(services.services.find((s) => s.name === 'server')).toMatchObject({ files: N, errors: N })
    await killHard(b.child)
  })
})
