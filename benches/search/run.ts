/**
 * `logferry search` against ripgrep on the same generated 1 GiB log corpus, in the same run:
 * a literal and a regex, one thread and all threads. logferry runs in this process through
 * `searchLogs` (every match reaches JavaScript as an object); rg (Debian's) runs as a process
 * whose whole output is read through a pipe (not /dev/null, which ripgrep would notice and stop
 * at the first match). Both search every file as text with line numbers (`rg -n -a`), from the
 * page cache (the corpus is read once before). Throughput = corpus bytes / wall time, best of
 * --runs; the match counts must agree. Target: logferry >= 0.8x ripgrep. Writes
 * benches/results/search.md.
 *
 *   npm run bench:search -- [--mib 1024] [--files 16] [--runs 3] [--scratch DIR]
 */
import { spawn, spawnSync } from 'node:child_process'
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { searchLogs } from '../../ts/search/search-logs.js'

const here = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '1024' },
    files: { type: 'string', default: '16' },
    runs: { type: 'string', default: '3' },
    scratch: { type: 'string', default: join(tmpdir(), 'logferry-search-bench') },
  },
})
const mib = Number(values.mib)
const nFiles = Number(values.files)
const runs = Number(values.runs)
const scratch = values.scratch as string
const TARGET = 0.8

const STATUS = [200, 200, 200, 200, 201, 204, 301, 304, 400, 404]
function line(i: number): string {
  // ~1 line in 4000 has the literal; ~1 in 2000 a 5xx status (the regex).
  const status = i % 1999 === 7 ? 500 + (i % 4) : STATUS[i % STATUS.length]
  const msg = i % 3989 === 11 ? 'upstream connection reset by peer' : `request id=${i.toString(16).padStart(8, '0')} path=/api/v1/items/${i % 9973}`
  return `2026-12-01T10:${String(Math.floor(i / 60000) % 60).padStart(2, '0')}:${String(Math.floor(i / 1000) % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')}Z ${i % 50 === 0 ? 'WARN ' : 'INFO '} worker-${i % 17} ${msg} status=${status} took=${i % 997}ms\n`
}

async function writeCorpus(dir: string): Promise<void> {
  const stamp = join(dir, '.stamp')
  const key = `v1 ${mib} ${nFiles}`
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === key) return
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const per = Math.ceil((mib * 1024 * 1024) / nFiles)
  let i = 0
  for (let f = 0; f < nFiles; f++) {
    const out = createWriteStream(join(dir, `app-${String(f).padStart(2, '0')}.log`))
    let written = 0
    while (written < per) {
      const parts: string[] = []
      for (let k = 0; k < 4096; k++) parts.push(line(i++))
      const chunk = Buffer.from(parts.join(''))
      written += chunk.length
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()))
    }
    await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())))
  }
  writeFileSync(stamp, key)
}

async function warm(dir: string): Promise<number> {
  let bytes = 0
  for (let f = 0; f < nFiles; f++)
    for await (const c of createReadStream(join(dir, `app-${String(f).padStart(2, '0')}.log`), { highWaterMark: 1 << 20 })) bytes += (c as Buffer).length
  return bytes
}

async function ours(dir: string, pattern: string, regex: boolean, threads: number): Promise<{ ms: number; matches: number }> {
  const t0 = performance.now()
  let matches = 0
  for await (const m of searchLogs({ pattern, regex, paths: dir, threads })) if (m.lineNumber > 0) matches++
  return { ms: performance.now() - t0, matches }
}

function theirs(dir: string, pattern: string, regex: boolean, threads: number): Promise<{ ms: number; matches: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const p = spawn('rg', ['--no-config', '-n', '-a', '-j', String(threads), ...(regex ? [] : ['-F']), '-e', pattern, dir], { stdio: ['ignore', 'pipe', 'inherit'] })
    let matches = 0
    p.stdout.on('data', (c: Buffer) => {
      for (let k = c.indexOf(10); k !== -1; k = c.indexOf(10, k + 1)) matches++
    })
    p.on('error', reject)
    p.on('close', (code) => (code === 0 ? resolve({ ms: performance.now() - t0, matches }) : reject(new Error(`rg exited ${code}`))))
  })
}

const rgVersion = spawnSync('rg', ['--version']).stdout?.toString().split('\n')[0]
if (!rgVersion) throw new Error('ripgrep (rg) is missing: bash test/servers/install.sh installs it')
const dir = join(scratch, 'corpus')
process.stderr.write(`corpus: ${mib} MiB in ${nFiles} files under ${dir}\n`)
await writeCorpus(dir)
const bytes = await warm(dir)
const all = cpus().length
const cases = [
  { name: 'literal', pattern: 'connection reset', regex: false },
  { name: 'regex', pattern: String.raw`status=5\d\d took=\d+ms`, regex: true },
]
const rows: string[] = []
let worst = Infinity
for (const c of cases) {
  for (const threads of [...new Set([1, all])]) {
    let best = { ours: Infinity, rg: Infinity }
    let counts = { ours: 0, rg: 0 }
    for (let r = 0; r < runs; r++) {
      // Alternate who goes first: neither always gets the warmer cache.
      const a = r % 2 === 0 ? await ours(dir, c.pattern, c.regex, threads) : undefined
      const b = await theirs(dir, c.pattern, c.regex, threads)
      const a2 = a ?? (await ours(dir, c.pattern, c.regex, threads))
      best = { ours: Math.min(best.ours, a2.ms), rg: Math.min(best.rg, b.ms) }
      counts = { ours: a2.matches, rg: b.matches }
    }
    if (counts.ours !== counts.rg) throw new Error(`${c.name}: logferry found ${counts.ours} lines, rg ${counts.rg}`)
    const mbs = (ms: number): number => bytes / 1e6 / (ms / 1000)
    const ratio = mbs(best.ours) / mbs(best.rg)
    worst = Math.min(worst, ratio)
    const row = `| ${c.name} \`${c.pattern}\` | ${threads} | ${counts.ours} | ${mbs(best.ours).toFixed(0)} MB/s | ${mbs(best.rg).toFixed(0)} MB/s | ${ratio.toFixed(2)}x | >= ${TARGET}x ${ratio >= TARGET ? 'met' : 'NOT met'} |`
    rows.push(row)
    process.stderr.write(`${row}\n`)
  }
}

const report = `# logferry search vs ripgrep

Generated log corpus: ${(bytes / 1048576).toFixed(0)} MiB in ${nFiles} files (page cache warm), ${cpus()[0]?.model ?? 'cpu'} x ${all}.
Peer: ${rgVersion} (\`rg -n -a -j N\`, its output read through a pipe). logferry: \`searchLogs\` in Node ${process.version},
every match delivered to JavaScript. Best of ${runs} runs each; the match counts of both agree (checked).

| case | threads | matching lines | logferry | ripgrep | ratio | target |
|---|---|---|---|---|---|---|
${rows.join('\n')}

Worst ratio: ${worst.toFixed(2)}x (target >= ${TARGET}x ripgrep). ${new Date().toISOString()}
`
mkdirSync(join(here, '..', 'results'), { recursive: true })
writeFileSync(join(here, '..', 'results', 'search.md'), report)
process.stdout.write(report)
