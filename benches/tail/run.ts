/**
 * Live tail benchmark (`npm run bench:tail`), each figure beside its target and its peer, same
 * machine, same run:
 *  - append -> delivery latency, p50 / p99 / max, with 1 and with 50 SSE clients of
 *    GET /logs/stream while a writer (its own process) appends 10,000 lines/s; the peer is GNU
 *    `tail -n0 -F` on the same file (1 and 50 processes). A sample per event (per chunk for
 *    tail): the age of its first (oldest) line when it arrives. Target: p99 <= 250 ms.
 *  - the service's RSS while one client that never reads is connected and the writer appends
 *    FLOOD MiB as fast as it can; the peer is the usual naive SSE tail (benches/tail/naive-peer.ts:
 *    writes ignoring back-pressure) under the same flood. Target: bounded (growth < 64 MB).
 * The service runs in its own process, plain node on the built package (benches/serve/service.mjs;
 * npm run bench:tail builds first). Writes benches/results/tail.md.
 *
 *   npm run bench:tail -- [--seconds 5] [--clients 50] [--rate 10000] [--flood-mib 128] [--scratch DIR]
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { connect } from 'node:net'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    clients: { type: 'string', default: '50' },
    rate: { type: 'string', default: '10000' },
    'flood-mib': { type: 'string', default: '128' },
    scratch: { type: 'string', default: join(tmpdir(), 'logferry-tail-bench') },
  },
})
const seconds = Number(values.seconds)
const manyClients = Number(values.clients)
const rate = Number(values.rate)
const floodMiB = Number(values['flood-mib'])
const scratch = values.scratch as string
const now = (): number => performance.timeOrigin + performance.now()
const load0 = loadavg()[0] ?? 0
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

rmSync(scratch, { recursive: true, force: true })
const src = join(scratch, 'src')
const data = join(scratch, 'data')
mkdirSync(src, { recursive: true })

/** A tsx child printing one JSON line first. */
async function startChild(script: string, args: string[]): Promise<{ child: ChildProcess; info: Record<string, unknown> }> {
  // .mjs (the service on dist/, as users run it) with plain node; .ts through tsx.
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : []
  const child = spawn(process.execPath, [...loader, script, ...args], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] })
  const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  const first = await new Promise<string>((resolve, reject) => {
    rl.once('line', resolve)
    child.once('exit', (c) => reject(new Error(`${script} exited ${c}`)))
  })
  // A child that ends before the run stops it makes every figure after it meaningless: say so.
  child.once('exit', (code, signal) => {
    if (!stopping.has(child)) process.stderr.write(`bench:tail: ${script} ended during the run (exit ${code}, signal ${signal})\n`)
  })
  return { child, info: JSON.parse(first) as Record<string, unknown> }
}

const stopping = new Set<ChildProcess>()

function stopChild(c: ChildProcess): Promise<void> {
  stopping.add(c)
  return new Promise((r) => {
    c.once('exit', () => r())
    c.stdin?.end()
    setTimeout(() => c.kill('SIGKILL'), 10_000).unref()
  })
}

function runWriter(file: string, lineRate: number, secs: number, flood = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const w = spawn(process.execPath, ['--import', 'tsx', join(here, 'writer.ts'), file, String(lineRate), String(secs), String(flood)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    w.stdout?.on('data', (c: Buffer) => (out += c.toString()))
    w.once('exit', (code) => (code === 0 ? resolve(Number(/done (\d+)/.exec(out)?.[1] ?? 0)) : reject(new Error(`writer exited ${code}`))))
  })
}

const rssOf = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024

const pct = (xs: number[], p: number): number => {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] as number
}

interface Latency {
  samples: number[]
  /** Lines the slowest client got. */
  minLines: number
  /** CPU the service used during the phase, % of one core (logferry phases). */
  serverCpu?: number
  /** This process's (the clients') longest event-loop delay during the phase (ms). */
  driverLag: number
}

/** utime + stime of `pid`, in ms (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(f[11]) + Number(f[12])) * 10
}

/** A lines sink: counts lines and takes the age of each chunk's first line. */
interface Sink {
  lines: number
  close(): void
}

function sseClient(url: string, samples: number[]): Promise<Sink> {
  return new Promise((resolve, reject) => {
    const sink: Sink = { lines: 0, close: () => undefined }
    const req = request(url, { headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream: ${res.statusCode}`))
      sink.close = () => res.destroy()
      res.setEncoding('utf8')
      let buf = ''
      res.on('data', (s: string) => {
        const t = now()
        buf += s
        const end = buf.lastIndexOf('\n\n')
        if (end < 0) return
        const frames = buf.slice(0, end)
        buf = buf.slice(end + 2)
        for (let i = frames.indexOf('"lines":["'); i >= 0; i = frames.indexOf('"lines":["', i + 1)) {
          const from = i + 10
          samples.push(t - Number(frames.slice(from, frames.indexOf(' ', from))))
        }
        for (let i = frames.indexOf(' seq='); i >= 0; i = frames.indexOf(' seq=', i + 5)) sink.lines++
      })
      res.on('error', () => undefined)
      resolve(sink)
    })
    req.on('error', reject)
    req.end()
  })
}

function tailProcess(file: string, samples: number[]): Promise<Sink> {
  return new Promise((resolve) => {
    const p = spawn('tail', ['-n0', '-F', file], { stdio: ['ignore', 'pipe', 'ignore'] })
    const sink: Sink = { lines: 0, close: () => p.kill() }
    let rest = ''
    p.stdout?.setEncoding('utf8')
    p.stdout?.on('data', (s: string) => {
      const t = now()
      const text = rest + s
      const end = text.lastIndexOf('\n')
      rest = end < 0 ? text : text.slice(end + 1)
      if (end < 0) return
      samples.push(t - Number(text.slice(0, text.indexOf(' '))))
      for (let i = text.indexOf(' seq='); i >= 0 && i < end; i = text.indexOf(' seq=', i + 5)) sink.lines++
    })
    // tail -F opens the file asynchronously: give it a moment before the writer starts.
    setTimeout(() => resolve(sink), 300)
  })
}

async function latency(kind: 'logferry' | 'tail -F', n: number, url: string, file: string, serverPid: number): Promise<Latency> {
  const samples: number[] = []
  const sinks: Sink[] = []
  for (let i = 0; i < n; i++) sinks.push(kind === 'logferry' ? await sseClient(url, samples) : await tailProcess(file, samples))
  await sleep(300)
  const cpu0 = cpuMs(serverPid)
  const t0 = now()
  const lag = monitorEventLoopDelay({ resolution: 10 })
  lag.enable()
  const written = await runWriter(file, rate, seconds)
  lag.disable()
  const serverCpu = (100 * (cpuMs(serverPid) - cpu0)) / (now() - t0)
  const driverLag = lag.max / 1e6
  await sleep(700)
  for (const s of sinks) s.close()
  const minLines = Math.min(...sinks.map((s) => s.lines))
  if (minLines !== written) process.stderr.write(`note: ${kind} x${n}: the slowest client got ${minLines} of ${written} lines\n`)
  return { samples, minLines, driverLag, ...(kind === 'logferry' ? { serverCpu } : {}) }
}

function metric(url: string, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(`${url}/metrics`, (res) => {
      let s = ''
      res.on('data', (c: Buffer) => (s += c.toString()))
      res.on('end', () => resolve(Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(s)?.[1] ?? Number.NaN)))
    })
      .on('error', reject)
      .end()
  })
}

/** RSS before, peak during a flood, with one client that never reads; the client's socket stays paused. */
async function memory(pid: number, url: string, streamPath: string, file: string, atPeak: () => Promise<void> = async () => undefined): Promise<{ before: number; peak: number }> {
  const u = new URL(url)
  const sock = connect(Number(u.port), '127.0.0.1')
  await new Promise((r) => sock.once('connect', r))
  sock.write(`GET ${streamPath} HTTP/1.1\r\nhost: x\r\naccept: text/event-stream\r\n\r\n`)
  sock.pause()
  await sleep(500)
  const before = rssOf(pid)
  let peak = before
  const timer = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 20)
  await runWriter(file, 0, 0, floodMiB)
  await sleep(1500)
  clearInterval(timer)
  peak = Math.max(peak, rssOf(pid))
  await atPeak()
  sock.destroy()
  return { before, peak }
}

const { child: svc, info } = await startChild(join(root, 'benches', 'serve', 'service.mjs'), [src, data])
// Made after the service's first sync, which mirrors the (empty) source into logs/bench/.
const file = join(data, 'logs', 'bench', 'live.log')
mkdirSync(dirname(file), { recursive: true })
writeFileSync(file, '')
const url = String(info.url)
const streamPath = `/logs/stream?path=${encodeURIComponent('logs/bench/live.log')}&tail=0`
const ms = (x: number): string => `${x.toFixed(1)} ms`
const rows: string[] = []
const lat: Record<string, Latency> = {}
for (const n of [1, manyClients]) {
  lat[`logferry ${n}`] = await latency('logferry', n, `${url}${streamPath}`, file, svc.pid as number)
  lat[`tail ${n}`] = await latency('tail -F', n, url, file, svc.pid as number)
  for (const k of ['logferry', 'tail'] as const) {
    const l = lat[`${k} ${n}`] as Latency
    rows.push(
      `| ${k === 'logferry' ? `GET /logs/stream (SSE; service CPU ${(l.serverCpu ?? 0).toFixed(0)}% of a core)` : 'GNU tail -n0 -F (peer)'} | ${n} | ${ms(pct(l.samples, 0.5))} | ${ms(pct(l.samples, 0.99))} | ${ms(pct(l.samples, 1))} | ${l.samples.length} | ${l.minLines} | ${ms(l.driverLag)} | p99 <= 250 ms |`,
    )
  }
}

writeFileSync(file, '')
let held = 0
let dropped = 0
// Read while the client is still connected and stuck.
const mem = await memory(svc.pid as number, url, streamPath, file, async () => {
  held = await metric(url, 'logferry_tail_held_bytes')
  dropped = await metric(url, 'logferry_tail_dropped_lines_total')
})
await stopChild(svc)

const naiveFile = join(data, 'naive.log')
writeFileSync(naiveFile, '')
const { child: naive, info: naiveInfo } = await startChild(join(here, 'naive-peer.ts'), [naiveFile])
const naiveMem = await memory(naive.pid as number, String(naiveInfo.url), '/', naiveFile)
await stopChild(naive)
rmSync(scratch, { recursive: true, force: true })

const mb = (b: number): string => `${(b / 1048576).toFixed(0)} MB`
const out = [
  `# Live tail benchmark`,
  '',
  `${new Date().toISOString()}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${load0.toFixed(1)} at the start, Node ${process.version}; writer ${rate} lines/s for ${seconds} s (ticks of 10 ms); others may have shared the machine.`,
  '',
  '| path | clients | p50 | p99 | max | samples | lines (slowest client) | clients\' event-loop delay, max | target |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows,
  '',
  `One client that never reads while ${floodMiB} MiB are appended as fast as the writer can:`,
  '',
  '| server | RSS before | peak RSS | growth | target |',
  '|---|---|---|---|---|',
  `| logferry serve (held for the stuck client: ${(held / 1024).toFixed(0)} KiB; lines dropped and counted: ${dropped}) | ${mb(mem.before)} | ${mb(mem.peak)} | ${mb(mem.peak - mem.before)} | < 64 MB |`,
  `| naive SSE tail, writes ignoring back-pressure (peer) | ${mb(naiveMem.before)} | ${mb(naiveMem.peak)} | ${mb(naiveMem.peak - naiveMem.before)} | |`,
  '',
].join('\n')
process.stdout.write(`${out}\n`)
mkdirSync(join(root, 'benches', 'results'), { recursive: true })
writeFileSync(join(root, 'benches', 'results', 'tail.md'), out)
