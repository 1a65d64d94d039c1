/**
 * `logferry serve` benchmark, each figure beside its peer, same machine, same run:
 *  - GET /logs/content?tail=100 on a 20 MiB and a 2 GiB file vs GNU `tail -n 100` (a process
 *    per request, as a shell user runs it): median and p95 per request;
 *  - GET /logs?limit=100 over 10,000 files vs a bare Fastify hello-world route in the same
 *    process, requests/s with autocannon (its own process: -c 10 -d DURATION);
 *  - the peak RSS of this process (which runs the service) during all of it.
 * The service runs in its own process (benches/serve/service.mjs, plain node on dist/); the files are put in a local
 * source and synced by it (laid out as the core lays them out). Writes benches/results/serve.md.
 *
 *   npm run bench:serve -- [--big-mib 2048] [--small-mib 20] [--files 10000] [--duration 5] [--scratch DIR]
 */
import { execFile, spawn, spawnSync } from 'node:child_process'
import { cpSync, createWriteStream, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const here = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({
  options: {
    'big-mib': { type: 'string', default: '2048' },
    'small-mib': { type: 'string', default: '20' },
    files: { type: 'string', default: '10000' },
    duration: { type: 'string', default: '5' },
    requests: { type: 'string', default: '30' },
    scratch: { type: 'string', default: join(tmpdir(), 'logferry-serve-bench') },
  },
})
const bigMiB = Number(values['big-mib'])
const smallMiB = Number(values['small-mib'])
const nFiles = Number(values.files)
const duration = Number(values.duration)
const nRequests = Number(values.requests)
const scratch = values.scratch as string

/** The service's peak RSS (MB) after each phase: which part of the run holds the memory. */
const phases: string[] = []
function phase(label: string, peak: number): void {
  phases.push(`after ${label} ${(peak / 1048576).toFixed(0)}`)
}

function line(i: number): string {
  return `2026-12-01T10:${String(Math.floor(i / 60000) % 60).padStart(2, '0')}:${String(Math.floor(i / 1000) % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')}Z INFO  worker-${i % 17} request id=${i.toString(16).padStart(8, '0')} path=/api/v1/items/${i % 9973} status=200 took=${i % 997}ms\n`
}

async function writeLog(path: string, mib: number): Promise<void> {
  const out = createWriteStream(path)
  const target = mib * 1024 * 1024
  let written = 0
  let i = 0
  while (written < target) {
    const parts: string[] = []
    for (let k = 0; k < 4096; k++) parts.push(line(i++))
    const chunk = Buffer.from(parts.join(''))
    written += chunk.length
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()))
  }
  await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())))
}

function get(url: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
      .on('error', reject)
      .end()
  })
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const p95 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))] as number

async function timeIt(n: number, f: () => Promise<void> | void): Promise<number[]> {
  for (let i = 0; i < 3; i++) await f()
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint()
    await f()
    out.push(Number(process.hrtime.bigint() - t) / 1e6)
  }
  return out
}

function autocannon(url: string): Promise<{ rps: number; p99: number; errors: number; non2xx: number }> {
  const bin = join(here, '..', '..', 'node_modules', 'autocannon', 'autocannon.js')
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [bin, '-c', '10', '-d', String(duration), '-j', url], { maxBuffer: 64 << 20 }, (err, stdout) => {
      if (err) return reject(err)
      const r = JSON.parse(stdout) as { requests: { average: number }; latency: { p99: number }; errors: number; non2xx: number }
      resolve({ rps: r.requests.average, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx })
    })
  })
}

rmSync(scratch, { recursive: true, force: true })
const src = join(scratch, 'src')
const many = join(src, 'many')
mkdirSync(many, { recursive: true })
console.log(`writing ${smallMiB} MiB + ${bigMiB} MiB logs and ${nFiles} small files under ${scratch}`)
await writeLog(join(src, 'small.log'), smallMiB)
await writeLog(join(src, 'big.log'), bigMiB)
for (let i = 0; i < nFiles; i++) writeFileSync(join(many, `server-${String(i).padStart(5, '0')}.log`), line(i))

// Plain node on the built package, as `npx logferry serve` runs: no TypeScript loader (tsx's hooks
// thread and transforms added ~20 MB) in the process measured. It runs from a private copy of
// dist/: a build in the shared tree rewrites dist/*.node in place, which kills a process that
// has it mapped (two runs were lost to it).
const pkg = join(scratch, 'pkg')
const repo = join(here, '..', '..')
cpSync(join(repo, 'dist'), join(pkg, 'dist'), { recursive: true })
cpSync(join(repo, 'package.json'), join(pkg, 'package.json'))
cpSync(join(here, 'service.mjs'), join(pkg, 'benches', 'serve', 'service.mjs'))
symlinkSync(join(repo, 'node_modules'), join(pkg, 'node_modules'))
const child = spawn(process.execPath, [join(pkg, 'benches', 'serve', 'service.mjs'), src, join(scratch, 'data')], {
  cwd: join(here, '..', '..'),
  stdio: ['pipe', 'pipe', 'inherit'],
})
const started = await new Promise<{ url: string; bareUrl: string; syncMs: number; peakAfterStart: number }>((resolve, reject) => {
  let buf = ''
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString()
    const nl = buf.indexOf('\n')
    if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)) as { url: string; bareUrl: string; syncMs: number; peakAfterStart: number })
  })
  child.once('exit', (code) => reject(new Error(`service exited with ${code}`)))
})
const url = started.url
const bareUrl = started.bareUrl
console.log(`service at ${url} (pid ${child.pid}), synced in ${(started.syncMs / 1000).toFixed(1)} s`)
/** VmHWM: the child's peak resident set so far. */
const childPeak = (): number => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024
phase('start (HTTP listening, before any sync)', started.peakAfterStart)
phase('the first sync', childPeak())
const rows: string[] = []
const mirror = join(scratch, 'data', 'logs', 'bench')
const tailFigures: Record<string, number> = {}
for (const [name, mib] of [
  ['small.log', smallMiB],
  ['big.log', bigMiB],
] as const) {
  const file = join(mirror, name)
  const want = spawnSync('tail', ['-n', '100', file]).stdout
  const got = await get(`${url}/logs/content?path=logs/bench/${name}&tail=100`)
  if (got.status !== 200 || !got.body.equals(want)) throw new Error(`tail=100 on ${name} differs from GNU tail`)
  const api = await timeIt(nRequests, async () => {
    const x = await get(`${url}/logs/content?path=logs/bench/${name}&tail=100`)
    if (x.status !== 200) throw new Error(`status ${x.status}`)
  })
  const gnu = await timeIt(nRequests, () => {
    const x = spawnSync('tail', ['-n', '100', file])
    if (x.status !== 0) throw new Error('tail failed')
  })
  tailFigures[name] = median(api)
  rows.push(`| tail=100, ${mib} MiB | ${median(api).toFixed(2)} ms (p95 ${p95(api).toFixed(2)}) | GNU tail -n 100: ${median(gnu).toFixed(2)} ms (p95 ${p95(gnu).toFixed(2)}) | ${(median(api) / median(gnu)).toFixed(2)}x | <= 2x |`)
}
phase('tail requests', childPeak())
const bigOverSmall = (tailFigures['big.log'] as number) / (tailFigures['small.log'] as number)

const listed = await get(`${url}/logs?limit=100`)
const total = (JSON.parse(listed.body.toString()) as { total: number }).total
if (listed.status !== 200 || total < nFiles) throw new Error(`/logs lists ${total} files, expected >= ${nFiles}`)
const hello = await autocannon(bareUrl)
const logs = await autocannon(`${url}/logs?limit=100`)
phase('autocannon on /logs and the bare route', childPeak())
rows.push(
  `| /logs?limit=100 over ${total} files | ${logs.rps.toFixed(0)} req/s (p99 ${logs.p99} ms, errors ${logs.errors}, non-2xx ${logs.non2xx}) | bare Fastify hello route: ${hello.rps.toFixed(0)} req/s (p99 ${hello.p99} ms) | ${((logs.rps / hello.rps) * 100).toFixed(0)}% | >= 50% |`,
)
const servicePeak = childPeak()
child.stdin.end()
await new Promise((r) => child.once('exit', r))
rows.push(`| peak RSS of the service process (VmHWM; plain node on dist/, incl. the bare app) | ${(servicePeak / 1048576).toFixed(0)} MB | | | < 200 MB |`)

const md = `# serve benchmark

\`npm run bench:serve\` (benches/serve/run.ts), ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, Node ${process.version}.
Files synced by the service from a local source; requests over HTTP/1.1 on 127.0.0.1. tail: ${nRequests}
requests each after 3 warm-ups, sequential, files in the page cache (just written); GNU tail is a
process per request. autocannon: its own process, -c 10 -d ${duration}.

| what | logferry serve | peer | ratio | target |
| --- | --- | --- | --- | --- |
${rows.join('\n')}

Peak RSS of the service (MB): ${phases.join('; ')}.

tail=100 on the ${bigMiB} MiB file takes ${bigOverSmall.toFixed(2)}x the time on the ${smallMiB} MiB one (target: within 2x).
`
mkdirSync(join(here, '..', 'results'), { recursive: true })
writeFileSync(join(here, '..', 'results', 'serve.md'), md)
console.log(md)
rmSync(scratch, { recursive: true, force: true })
process.exit(0)
