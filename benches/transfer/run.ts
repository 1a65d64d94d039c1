/**
 * Transfer benchmark: transferFiles vs `rclone copy` to the same real server, same data, same
 * run. Datasets: 1,000 x 100 KiB files and one 1 GiB file (sizes adjustable). Both tools use
 * their defaults (4 files at a time; logferry verifies every copy by checksum). After each run
 * the target is listed and its file count and bytes checked, so a figure is only reported for
 * a complete copy. Writes benches/results/transfer.md.
 *
 *   npm run bench:transfer -- [--backends local,s3,gcs,azure,hdfs,sftp] [--files 1000]
 *                             [--file-kib 100] [--big-mib 1024] [--scratch DIR]
 */
import { spawn } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
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
    scratch: { type: 'string', default: join(tmpdir(), 'logferry-transfer-bench') },
  },
})

interface Measured {
  seconds: number
  error?: string
}

interface Row {
  backend: string
  dataset: Dataset
  logferry: Measured
  rclone: Measured
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

async function timed(run: () => Promise<void>, t: Target, d: Dataset): Promise<Measured> {
  const started = process.hrtime.bigint()
  try {
    await run()
  } catch (e) {
    return { seconds: 0, error: (e as Error).message.split('\n')[0] }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const wrong = await complete(t, d)
  return wrong ? { seconds, error: wrong } : { seconds }
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

function viaRclone(d: Dataset, t: Target, env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    // aws-sdk-go in rclone refuses AWS_CA_BUNDLE with its own HTTP transport; the servers are plain http.
    const { AWS_CA_BUNDLE: _unused, ...inherited } = process.env
    const child = spawn('rclone', ['copy', d.dir, t.rclone, '-q'], { env: { ...inherited, ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-2000)))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`rclone exited ${code}: ${err.trim()}`))))
  })
}

const mbps = (d: Dataset, m: Measured): string => (m.error ? 'failed' : ((d.bytes / 1e6) / m.seconds).toFixed(1))
const secs = (m: Measured): string => (m.error ? '-' : m.seconds.toFixed(2))

async function main(): Promise<void> {
  const scratch = values.scratch as string
  mkdirSync(scratch, { recursive: true })
  const datasets = [
    smallFiles(join(scratch, 'small'), Number(values.files), Number(values['file-kib']) << 10),
    await bigFile(join(scratch, 'big'), Number(values['big-mib']) << 20),
  ]
  const rows: Row[] = []
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
      for (const d of datasets) {
        const run = `bench-${Date.now().toString(36)}-${n++}`
        const lt = backend.target(`${run}/logferry`)
        const rt = backend.target(`${run}/rclone`)
        const logferry = await timed(() => viaLogferry(d, lt), lt, d)
        const rclone = await timed(() => viaRclone(d, rt, backend.env), rt, d)
        const row = { backend: name, dataset: d, logferry, rclone }
        rows.push(row)
        process.stderr.write(
          `${name} ${d.name}: logferry ${secs(logferry)} s ${mbps(d, logferry)} MB/s${logferry.error ? ` (${logferry.error})` : ''}; ` +
            `rclone ${secs(rclone)} s ${mbps(d, rclone)} MB/s${rclone.error ? ` (${rclone.error})` : ''}\n`,
        )
        if (name === 'local') rmSync(join(scratch, 'local-target'), { recursive: true, force: true })
      }
    } finally {
      await backend.stop()
    }
  }

  const lines = [
    '# transferFiles vs rclone copy',
    '',
    `Same data, same server, same run; both with their defaults (4 files at a time; logferry verifies each copy). rclone ${await rcloneVersion()}, Node ${process.version}, ${new Date().toISOString()}.`,
    '',
    '| backend | dataset | logferry s | logferry MB/s | rclone s | rclone MB/s | logferry / rclone |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...rows.map((r) => {
      const ratio = r.logferry.error || r.rclone.error ? '-' : (r.rclone.seconds / r.logferry.seconds).toFixed(2)
      return `| ${r.backend} | ${r.dataset.name} | ${secs(r.logferry)} | ${mbps(r.dataset, r.logferry)} | ${secs(r.rclone)} | ${mbps(r.dataset, r.rclone)} | ${ratio} |`
    }),
  ]
  const errors = rows.flatMap((r) => [
    ...(r.logferry.error ? [`- ${r.backend} ${r.dataset.name} logferry: ${r.logferry.error}`] : []),
    ...(r.rclone.error ? [`- ${r.backend} ${r.dataset.name} rclone: ${r.rclone.error}`] : []),
  ])
  if (errors.length) lines.push('', 'Failures:', ...errors)
  const md = `${lines.join('\n')}\n`
  mkdirSync(join(here, '..', 'results'), { recursive: true })
  writeFileSync(join(here, '..', 'results', 'transfer.md'), md)
  process.stdout.write(md)
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
