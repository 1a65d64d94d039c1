// `npx logferry serve` started as a newcomer would: an empty directory where the package is
// installed (the built dist/), nothing configured; it must answer /status, sync ./logs, and
// stop cleanly on Ctrl-C (SIGINT to its process group).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alive, descendants } from '../servers/process.js'

const ROOT = resolve('.')
const CLI = join(ROOT, 'dist', 'cli.js')
const work = mkdtempSync(join(tmpdir(), 'lf-serve-cli-'))
const children: ChildProcess[] = []

/** A directory where `npm install logferry` was done: node_modules/logferry and its bin (npm makes it executable). */
function newcomerDir(): string {
  const d = mkdtempSync(join(work, 'fresh-'))
  mkdirSync(join(d, 'node_modules', '.bin'), { recursive: true })
  symlinkSync(ROOT, join(d, 'node_modules', 'logferry'))
  symlinkSync('../logferry/dist/cli.js', join(d, 'node_modules', '.bin', 'logferry'))
  return d
}

/** The environment of a shell that has none of the service's variables set. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const k of Object.keys(env)) if (/^(SSH_|REMOTE_BASE_PATH|SYNC_INTERVAL|LOG_LEVEL|LOGFERRY_)/.test(k)) delete env[k]
  return { ...env, ...extra }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer()
    s.once('error', () => res(false))
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)))
  })
}

function run(args: string[], cwd: string, env: NodeJS.ProcessEnv, bin: 'npx' | 'bin' = 'npx'): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  const [cmd, argv] = bin === 'npx' ? ['npx', ['--no-install', 'logferry', ...args]] : [join(cwd, 'node_modules', '.bin', 'logferry'), args]
  const child = spawn(cmd, argv, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let out = ''
  let err = ''
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()))
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()))
  const exit = new Promise<number | null>((res) => child.once('exit', (code) => res(code)))
  return { child, out: () => out, err: () => err, exit }
}

async function waitForUrl(err: () => string, ms: number): Promise<string> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const m = /listening on (http:\/\/\S+)/.exec(err())
    if (m) return m[1] as string
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`logferry serve printed no URL in ${ms} ms; stderr: ${err()}`)
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build:ts` first (npm test does)')
  chmodSync(CLI, 0o755)
  expect(spawnSync('npx', ['--version']).status).toBe(0)
})
afterAll(() => {
  for (const c of children) {
    if (c.pid === undefined) continue
    for (const p of [...descendants(c.pid), c.pid]) if (alive(p)) process.kill(p, 'SIGKILL')
  }
  rmSync(work, { recursive: true, force: true })
})

describe('npx logferry serve (the README main job)', () => {
  it('runs with nothing configured, answers /status, syncs ./logs, stops cleanly on Ctrl-C', async () => {
    const cwd = newcomerDir()
    // The default port when it is free (as on a fresh machine); else any free port, the only difference.
    const env = (await portFree(8004)) ? cleanEnv() : cleanEnv({ LOGFERRY_PORT: '0' })
    const p = run(['serve'], cwd, env)
    const url = await waitForUrl(p.err, 60_000)
    if (env.LOGFERRY_PORT === undefined) expect(url).toBe('http://127.0.0.1:8004')
    const status = await fetch(`${url}/status`)
    expect(status.status).toBe(200)
    const body = (await status.json()) as { name: string; sources: { name: string; kind: string }[]; dataDir: string }
    expect(body.name).toBe('logferry')
    expect(body.sources).toMatchObject([{ name: 'local', kind: 'local' }])
    expect(body.dataDir).toBe(join(cwd, 'logferry-data'))
    expect(existsSync(join(cwd, 'logs'))).toBe(true)

    writeFileSync(join(cwd, 'logs', 'slurm-job-1.out'), 'done\n')
    const trig = await fetch(`${url}/sync/trigger?wait=true`, { method: 'POST' })
    expect(trig.status).toBe(200)
    const services = (await (await fetch(`${url}/services`)).json()) as { services: { name: string; files: number }[] }
    expect(services.services.find((s) => s.name === 'server')?.files).toBe(1)
    expect(readFileSync(join(cwd, 'logferry-data', 'categorized', 'server', 'local', 'slurm-job-1.out'), 'utf8')).toBe('done\n')

    // Ctrl-C: SIGINT to the terminal's process group (npm's wrapper dies of it; the service stops).
    const group = p.child.pid as number
    const service = descendants(group)
    expect(service.length).toBeGreaterThan(0)
    process.kill(-group, 'SIGINT')
    await p.exit
    const deadline = Date.now() + 20_000
    while (service.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    expect(service.filter(alive)).toEqual([])
    expect(p.err()).toMatch(/SIGINT: stopping/)
    // Its own logs: JSON lines on stdout and, through logferry's Logger, in the data directory.
    const lines = p.out().trim().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string })
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['logs service started', 'sync finished', 'logs service stopped']))
    // The Logger seals its file at close under a timestamped name beside it.
    const dir = join(cwd, 'logferry-data', 'service-logs')
    const sealed = readdirSync(dir).filter((f) => /^logferry-serve.*\.log$/.test(f))
    expect(sealed.length).toBe(1)
    const file = readFileSync(join(dir, sealed[0] as string), 'utf8').trim().split('\n')
    expect(file.length).toBe(lines.length)
    expect(JSON.parse(file[file.length - 1] as string)).toMatchObject({ level: 'info', msg: 'logs service stopped' })
  })

  it('SIGTERM: stops accepting requests, exits 0', async () => {
    const cwd = newcomerDir()
    const p = run(['serve', '--port', '0'], cwd, cleanEnv(), 'bin')
    const url = await waitForUrl(p.err, 60_000)
    expect((await fetch(`${url}/health`)).status).toBe(200)
    p.child.kill('SIGTERM')
    expect(await p.exit).toBe(0)
    await expect(fetch(`${url}/health`)).rejects.toThrow()
    expect(p.out()).toMatch(/"msg":"logs service stopped"/)
  })

  it('--token-file and --stop-timeout (the token stays off the command line, out of ps)', async () => {
    const cwd = newcomerDir()
    writeFileSync(join(cwd, 'token'), 'tok-from-file\n', { mode: 0o600 })
    const p = run(['serve', '--port', '0', '--token-file', 'token', '--stop-timeout', '1s'], cwd, cleanEnv(), 'bin')
    const url = await waitForUrl(p.err, 60_000)
    expect((await fetch(`${url}/status`)).status).toBe(401)
    expect((await fetch(`${url}/status`, { headers: { authorization: 'Bearer tok-from-file' } })).status).toBe(200)
    p.child.kill('SIGTERM')
    expect(await p.exit).toBe(0)
    const bad = run(['serve', '--stop-timeout', 'soon'], cwd, cleanEnv())
    expect(await bad.exit).toBe(2)
    expect(bad.err()).toMatch(/ERR_INVALID_CONFIG: --stop-timeout: /)
    const missing = run(['serve', '--token-file', 'nope'], cwd, cleanEnv())
    expect(await missing.exit).toBe(2)
    expect(missing.err()).toMatch(/--token-file: cannot read the token file/)
  })

  it('--retention-dry-run prints the plan of the mirror and changes nothing', async () => {
    const cwd = newcomerDir()
    const mirror = join(cwd, 'logferry-data', 'logs', 'local')
    mkdirSync(mirror, { recursive: true })
    writeFileSync(join(mirror, 'server-old.log'), 'old\n')
    const old = new Date(Date.now() - 30 * 86_400_000)
    utimesSync(join(mirror, 'server-old.log'), old, old)
    writeFileSync(join(mirror, 'server-new.log'), 'new\n')
    writeFileSync(join(cwd, 'serve.yaml'), 'retention:\n  policies:\n    server: { compressAfterDays: 7, compression: zstd }\n')
    const before = readdirSync(mirror).map((f) => `${f}:${statSync(join(mirror, f)).mtimeMs}`)
    const p = run(['serve', '--config', 'serve.yaml', '--retention-dry-run'], cwd, cleanEnv(), 'bin')
    expect(await p.exit).toBe(0)
    expect(p.out()).toMatch(/^compress \(zstd\)\tserver\tlogs\/local\/server-old\.log\t4 B\t.*older than 7 days$/m)
    expect(p.out()).not.toMatch(/server-new/)
    expect(p.out()).toMatch(/1 to compress, 0 to delete \(0 B\); nothing changed/)
    expect(readdirSync(mirror).map((f) => `${f}:${statSync(join(mirror, f)).mtimeMs}`)).toEqual(before)
    expect(existsSync(join(cwd, 'logferry-data', 'state'))).toBe(false)
  })

  it('refuses an invalid flag or variable at start, naming it (exit 2)', async () => {
    const cwd = newcomerDir()
    const flag = run(['serve', '--port', 'eighty'], cwd, cleanEnv())
    expect(await flag.exit).toBe(2)
    expect(flag.err()).toMatch(/ERR_INVALID_CONFIG: --port: must be an integer/)
    writeFileSync(join(cwd, '.env'), 'SYNC_INTERVAL=soon\n')
    const envFile = run(['serve'], cwd, cleanEnv())
    expect(await envFile.exit).toBe(2)
    expect(envFile.err()).toContain(`${join(cwd, '.env')}: SYNC_INTERVAL:`)
    expect(existsSync(join(cwd, 'logferry-data'))).toBe(false)
  })
})
