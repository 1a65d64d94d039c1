/**
 * Transfer benchmark: transferFiles vs `rclone copy` to the same real server, same data, same
 * run. Datasets: 'small' 1,000 x 100 KiB files, 'big' one 1 GiB file, 'tiny' 10,000 x 4 KiB
 * files (the per-file overhead; sizes adjustable). Both tools use their defaults (4 files at a
 * time; logferry verifies every copy by checksum). After each run the target is listed and its
 * file count and bytes checked, so a figure is only reported for a complete copy. Wall time and
 * CPU time (user + sys: logferry's process, rclone's child process) are reported side by side,
 * since on a 2-core machine CPU is the budget; the target is logferry's wall time <= rclone's.
 * `--repeat N` measures each row N times, alternating which tool goes first, and reports every
 * run and the range. Writes benches/results/transfer.md (or --out).
 *
 *   npm run bench:transfer -- [--backends local,s3,gcs,azure,hdfs,sftp] [--datasets small,big,tiny]
 *                             [--files 1000] [--file-kib 100] [--big-mib 1024] [--tiny-files 10000]
 *                             [--repeat 1] [--scratch DIR] [--out FILE]
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { transferFiles } from '../../ts/transfer/index.js'
import { startBackend, type Backend, type Target } from './backends.js'
import { bigFile, smallFiles, type Dataset } from './dataset.js'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
const here = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'local,s3,gcs,azure,hdfs,sftp' },
    files: { type: 'string', default: '1000' },
    'file-kib': { type: 'string', default: '100' },
    'big-mib': { type: 'string', default: '1024' },
    'tiny-files': { type: 'string', default: '10000' },
    datasets: { type: 'string', default: 'small,big' },
    repeat: { type: 'string', default: '1' },
    out: { type: 'string' },
    scratch: { type: 'string', default: join(tmpdir(), 'logferry-transfer-bench') },
  },
})

interface Measured {
  seconds: number
  /** CPU time (user + sys) of the tool's process. */
  cpu: number
  error?: string
}

interface Row {
  backend: string
  dataset: Dataset
  logferry: Measured
  rclone: Measured
  /** The 1-minute load average after the pair ran (the machine may be shared: read figures beside it). */
  load: number
}

/** Checks the target holds exactly the dataset (count and bytes). */
async function complete(t: Target, d: Dataset): Promise<string | undefined> {
  const fs = t.fs()
  try {
    const files = (await fs.ls('', { recursive: true })).filter((e) => e.kind === 'file')
    const bytes = files.reduce((n, f) => n + f.size, 0)
    if (files.length !== d.files || bytes !== d.bytes) return `target holds ${files.length} files / ${bytes} B, expected ${d.files} / ${d.bytes}`
    return undefined
  } finally {
    await fs.close()
  }
}

/** Runs one copy; `run` answers the CPU seconds of a child process it ran (else this process's are taken). */
async function timed(run: () => Promise<number | void>, t: Target, d: Dataset): Promise<Measured> {
  // The other tool's copy is written back first, so that neither pays for the other's dirty pages.
  spawnSync('sync', { stdio: 'ignore' })
  const started = process.hrtime.bigint()
  const cpu0 = process.cpuUsage()
  let childCpu: number | void
  try {
    childCpu = await run()
  } catch (e) {
    return { seconds: 0, cpu: 0, error: (e as Error).message.split('\n')[0] }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const own = process.cpuUsage(cpu0)
  const cpu = typeof childCpu === 'number' ? childCpu : (own.user + own.system) / 1e6
  const wrong = await complete(t, d)
  return wrong ? { seconds, cpu, error: wrong } : { seconds, cpu }
}

async function viaLogferry(d: Dataset, t: Target): Promise<void> {
  const fs = t.fs()
  try {
    const report = await transferFiles({ files: `${d.dir}/*`, target: fs })
    if (!report.ok) {
      const f = report.files.find((x) => x.outcome === 'failed')
      throw new Error(`${report.totals.failed} files failed: ${f?.error?.message ?? ''}`)
    }
  } finally {
    await fs.close()
  }
}

/** bash's `times` line for its children: `0m1.234s 0m0.567s` (user, sys). */
const CHILD_TIMES = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s\s*$/

/** rclone under bash, whose `times` reports the CPU rclone used; resolves with those seconds. */
function viaRclone(d: Dataset, t: Target, env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    // aws-sdk-go in rclone refuses AWS_CA_BUNDLE with its own HTTP transport; the servers are plain http.
    const { AWS_CA_BUNDLE: _unused, ...inherited } = process.env
    const script = 'rclone "$@"; rc=$?; times >&2; exit $rc'
    const child = spawn('bash', ['-c', script, 'rclone', 'copy', d.dir, t.rclone, '-q'], { env: { ...inherited, ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-2000)))
    child.on('error', reject)
    child.on('close', (code) => {
      const m = CHILD_TIMES.exec(err)
      if (code !== 0) return reject(new Error(`rclone exited ${code}: ${err.replace(CHILD_TIMES, '').trim()}`))
      if (!m) return reject(new Error(`no CPU times from bash: ${err.trim()}`))
      resolve(Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]))
    })
  })
}

const mbps = (d: Dataset, m: Measured): string => (m.error ? 'failed' : ((d.bytes / 1e6) / m.seconds).toFixed(1))
const secs = (m: Measured): string => (m.error ? '-' : m.seconds.toFixed(2))
const cpus = (m: Measured): string => (m.error ? '-' : m.cpu.toFixed(2))
const ratioOf = (r: Row): number | undefined => (r.logferry.error || r.rclone.error ? undefined : r.logferry.seconds / r.rclone.seconds)
const range = (xs: number[], digits = 2): string => {
  if (xs.length === 0) return '-'
  const lo = Math.min(...xs).toFixed(digits)
  const hi = Math.max(...xs).toFixed(digits)
  return lo === hi ? lo : `${lo}-${hi}`
}

async function main(): Promise<void> {
  const scratch = values.scratch as string
  mkdirSync(scratch, { recursive: true })
  const wanted = (values.datasets as string).split(',')
  const datasets: Dataset[] = []
  for (const w of wanted) {
    if (w === 'small') datasets.push(smallFiles(join(scratch, 'small'), Number(values.files), Number(values['file-kib']) << 10))
    else if (w === 'tiny') datasets.push(smallFiles(join(scratch, 'tiny'), Number(values['tiny-files']), 4 << 10))
    else if (w === 'big') datasets.push(await bigFile(join(scratch, 'big'), Number(values['big-mib']) << 20))
    else throw new Error(`unknown dataset '${w}' (small, big, tiny)`)
  }
  const repeat = Math.max(1, Number(values.repeat))
  // Copied by both tools, untimed, before a backend's first timed run: the first transferFiles of
  // the process compiles its code paths (JIT) and the first rclone run loads its binary, which
  // the tool going first in the first run (always logferry) would otherwise pay alone.
  const warm = smallFiles(join(scratch, 'warm'), 64, 4 << 10)
  const rows: Row[] = []
  // The local runs' targets, deleted only once nothing is timed any more: ext4 without a
  // journal (this machine's) does not reuse an inode deleted in the last 60 s (360 s while its
  // inode table block is dirty), and checks every such inode again for each new file: after
  // an rmSync of one run's 10,000 files, find_inode_bit -> recently_deleted was 46% of the next
  // run's perf samples, charged to whichever tool ran next.
  const localRuns: string[] = []
  let n = 0
  for (const name of (values.backends as string).split(',')) {
    let backend: Backend
    try {
      backend = await startBackend(name, scratch)
    } catch (e) {
      process.stderr.write(`${name}: server did not start: ${(e as Error).message}\n`)
      process.exitCode = 1
      continue
    }
    try {
      const warmRun = `warm-${Date.now().toString(36)}-${n++}`
      if (name === 'local') localRuns.push(join(scratch, 'local-target', warmRun))
      // A backend may need more to warm its server (backends.ts, warmFiles).
      const warmSet = backend.warmFiles === undefined ? warm : smallFiles(join(scratch, `warm-${backend.warmFiles}`), backend.warmFiles, 4 << 10)
      // A failed warm-up only loses its warming: the timed runs report their own failures.
      await viaLogferry(warmSet, backend.target(`${warmRun}/logferry`)).catch((e: Error) => process.stderr.write(`${name} warm-up, logferry: ${e.message}\n`))
      await viaRclone(warmSet, backend.target(`${warmRun}/rclone`), backend.env).catch((e: Error) => process.stderr.write(`${name} warm-up, rclone: ${e.message}\n`))
      for (const d of datasets) {
        for (let i = 0; i < repeat; i++) {
          const run = `bench-${Date.now().toString(36)}-${n++}`
          if (name === 'local') localRuns.push(join(scratch, 'local-target', run))
          const lt = backend.target(`${run}/logferry`)
          const rt = backend.target(`${run}/rclone`)
          const one = (): Promise<Measured> => timed(() => viaLogferry(d, lt), lt, d)
          const other = (): Promise<Measured> => timed(() => viaRclone(d, rt, backend.env), rt, d)
          // Alternate who goes first: the machine's state (caches, other load) favours neither.
          let logferry: Measured
          let rclone: Measured
          if (i % 2 === 0) {
            logferry = await one()
            rclone = await other()
          } else {
            rclone = await other()
            logferry = await one()
          }
          const row = { backend: name, dataset: d, logferry, rclone, load: loadavg()[0] ?? 0 }
          rows.push(row)
          process.stderr.write(
            `${name} ${d.name}: logferry ${secs(logferry)} s (cpu ${cpus(logferry)} s) ${mbps(d, logferry)} MB/s${logferry.error ? ` (${logferry.error})` : ''}; ` +
              `rclone ${secs(rclone)} s (cpu ${cpus(rclone)} s) ${mbps(d, rclone)} MB/s${rclone.error ? ` (${rclone.error})` : ''}; load ${row.load.toFixed(2)}\n`,
          )
        }
      }
    } finally {
      await backend.stop()
    }
  }
  removeRuns(localRuns)

  const lines = [
    '# transferFiles vs rclone copy',
    '',
    `Same data, same server, same run; both with their defaults (4 files at a time; logferry verifies each copy). rclone ${await rcloneVersion()}, Node ${process.version}, ${new Date().toISOString()}, ${repeat} run(s) per row, alternating which tool goes first.`,
    'Wall time in seconds; CPU = user + sys seconds of the tool\'s process. Target: logferry wall / rclone wall <= 1.00. Load: the 1-minute load average after the pair (the machine may be shared).',
    '',
    '| backend | dataset | logferry s | logferry CPU s | logferry MB/s | rclone s | rclone CPU s | rclone MB/s | logferry / rclone (target <= 1.00) | load |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => {
      const ratio = ratioOf(r)
      return `| ${r.backend} | ${r.dataset.name} | ${secs(r.logferry)} | ${cpus(r.logferry)} | ${mbps(r.dataset, r.logferry)} | ${secs(r.rclone)} | ${cpus(r.rclone)} | ${mbps(r.dataset, r.rclone)} | ${ratio === undefined ? '-' : ratio.toFixed(2)} | ${r.load.toFixed(2)} |`
    }),
  ]
  if (repeat > 1) {
    const groups = new Map<string, Row[]>()
    for (const r of rows) groups.set(`${r.backend}|${r.dataset.name}`, [...(groups.get(`${r.backend}|${r.dataset.name}`) ?? []), r])
    lines.push(
      '',
      'Ranges over the runs (min-max, failed runs left out):',
      '',
      '| backend | dataset | logferry s | logferry CPU s | rclone s | rclone CPU s | logferry / rclone (target <= 1.00) |',
      '|---|---|---:|---:|---:|---:|---:|',
      ...[...groups.values()].map((g) => {
        const ok = g.filter((r) => ratioOf(r) !== undefined)
        const first = g[0] as Row
        return `| ${first.backend} | ${first.dataset.name} | ${range(ok.map((r) => r.logferry.seconds))} | ${range(ok.map((r) => r.logferry.cpu))} | ${range(ok.map((r) => r.rclone.seconds))} | ${range(ok.map((r) => r.rclone.cpu))} | ${range(ok.map((r) => ratioOf(r) as number))} |`
      }),
    )
  }
  const errors = rows.flatMap((r) => [
    ...(r.logferry.error ? [`- ${r.backend} ${r.dataset.name} logferry: ${r.logferry.error}`] : []),
    ...(r.rclone.error ? [`- ${r.backend} ${r.dataset.name} rclone: ${r.rclone.error}`] : []),
  ])
  if (errors.length) lines.push('', 'Failures:', ...errors)
  const md = `${lines.join('\n')}\n`
  const out = (values.out as string | undefined) ?? join(here, '..', 'results', 'transfer.md')
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, md)
  process.stdout.write(md)
}

/** Deletes the local runs' targets (only this process's: another bench may share the scratch directory). */
function removeRuns(dirs: string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
}

function rcloneVersion(): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('rclone', ['version'], { stdio: ['ignore', 'pipe', 'ignore'] })
    let out = ''
    child.stdout.on('data', (b: Buffer) => (out += b))
    child.on('error', () => resolve('(not installed)'))
    child.on('close', () => resolve(out.split('\n')[0]?.replace(/^rclone\s+/, '') ?? '?'))
  })
}

await main()
