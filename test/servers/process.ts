/** Spawning, readiness checks and teardown shared by the test servers. */
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, createWriteStream, mkdirSync, openSync, readFileSync, readdirSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'

export const SERVERS_DIR = process.env.LOGFERRY_SERVERS_DIR ?? join(homedir(), '.cache', 'logferry-servers')
export const LOG_DIR = join(tmpdir(), 'logferry-server-logs')

/** A free TCP port on 127.0.0.1 (bound then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port })
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Every descendant pid of `pid` (read from /proc), deepest first. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const list = children.get(ppid) ?? []
      list.push(Number(name))
      children.set(ppid, list)
    } catch {
      // process went away
    }
  }
  const out: number[] = []
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      walk(c)
      out.push(c)
    }
  }
  walk(pid)
  return out
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export interface Managed {
  child: ChildProcess
  logFile: string
  /** Graceful stop (SIGTERM, then SIGKILL after a grace period), children included. */
  stop(): Promise<void>
  /** Abrupt death of the server and its children (SIGKILL), as in a crash. */
  kill(): Promise<void>
  /** Resolves when the process has exited. */
  exited: Promise<void>
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** Keep stdin as a pipe (some servers exit when it closes). */
  stdinPipe?: boolean
  /** Line on stdout/stderr that means "ready"; its match is passed to `onReady`. */
  readyLine?: RegExp
}

export function spawnManaged(name: string, cmd: string, args: string[], opts: SpawnOptions = {}): Managed & { ready: Promise<RegExpMatchArray | undefined> } {
  mkdirSync(LOG_DIR, { recursive: true })
  const logFile = join(LOG_DIR, `${name}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}.log`)
  // Without a ready line to watch for, the server writes its log file itself: relaying its output
  // through this process would charge every request a server logs (moto: ~0.35 s of CPU per 1,000)
  // to the test or benchmark process.
  const relay = opts.readyLine !== undefined
  const log = relay ? createWriteStream(logFile) : undefined
  const fd = relay ? undefined : openSync(logFile, 'a')
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: [opts.stdinPipe ? 'pipe' : 'ignore', fd ?? 'pipe', fd ?? 'pipe'],
    detached: true,
  })
  if (fd !== undefined) closeSync(fd)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let buffer = ''
  const ready = new Promise<RegExpMatchArray | undefined>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      log?.write(d)
      if (!opts.readyLine) return
      buffer = (buffer + d.toString()).slice(-4096)
      const m = buffer.match(opts.readyLine)
      if (m) resolve(m)
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('error', reject)
    child.once('exit', (code, sig) => reject(new Error(`${name} exited early (code ${code}, signal ${sig}); log: ${logFile}`)))
    if (!opts.readyLine) resolve(undefined)
  })
  ready.catch(() => undefined)
  const signalTree = (sig: NodeJS.Signals): void => {
    const pid = child.pid
    if (pid === undefined) return
    const all = [...descendants(pid), pid]
    for (const p of all) {
      try {
        process.kill(p, sig)
      } catch {
        // already gone
      }
    }
  }
  const waitGone = async (ms: number): Promise<boolean> => {
    const deadline = Date.now() + ms
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) return true
      await sleep(50)
    }
    return false
  }
  return {
    child,
    logFile,
    ready,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.stdin?.end()
      signalTree('SIGTERM')
      if (!(await waitGone(8000))) signalTree('SIGKILL')
      await waitGone(5000)
      log?.end()
    },
    async kill() {
      signalTree('SIGKILL')
      await waitGone(5000)
    },
  }
}

/** Polls `check` until it is true or the timeout passes. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, exited?: Promise<void>): Promise<void> {
  let dead = false
  exited?.then(() => {
    dead = true
  })
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (dead) throw new Error(`${what}: process exited before it was ready`)
    if (await check().catch(() => false)) return
    await sleep(150)
  }
  throw new Error(`${what}: not ready after ${timeoutMs} ms`)
}

export async function httpOk(url: string): Promise<boolean> {
  const r = await fetch(url)
  await r.body?.cancel()
  return r.status < 500
}
