/**
 * `logferry collect` benchmark, same files, same run. Writes benches/results/collect.md.
 *
 * 1. Extraction of one large `.gz` (default 1 GiB of log text, made by `gzip -6`): logferry's
 *    native extractFile (validated, temp file, fsync, rename) vs `gzip -dc > file` and
 *    `pigz -dc > file`. Each output is checked byte-identical (sha256) before a figure counts.
 * 2. A full pass over 3 servers x N x 100 KiB `.gz` (the test sshd, three directories) vs a plain
 *    shell loop doing `rsync` + `gzip -t` + `gzip -dc` per file (same ssh options, same
 *    ControlMaster reuse); then the second (no-op) pass.
 *
 *   npm run bench:collect -- [--big-mib 1024] [--files 300] [--skip-pass] [--scratch DIR]
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream, mkdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createCollector } from '../../ts/collect/collector.js'
import { loadCollectConfig } from '../../ts/collect/config.js'
import { extractFile } from '../../ts/collect/extract.js'
import { sshArgs } from '../../ts/delivery/rsync.js'
import { sshTarget } from '../../ts/collect/remote.js'
import { startSftp } from '../../test/servers/sftp.js'

const here = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({
  options: {
    'big-mib': { type: 'string', default: '1024' },
    files: { type: 'string', default: '300' },
    'skip-pass': { type: 'boolean', default: false },
    scratch: { type: 'string', default: join(tmpdir(), 'logferry-collect-bench') },
  },
})
const scratch = values.scratch as string
rmSync(scratch, { recursive: true, force: true })
mkdirSync(scratch, { recursive: true })

function logChunk(seed: number, bytes: number): Buffer {
  const parts: string[] = []
  let n = 0
  let x = seed
  const levels = ['INFO', 'INFO', 'INFO', 'WARN', 'DEBUG', 'ERROR']
  while (n < bytes) {
    x = (x * 1103515245 + 12345) % 2 ** 31
    const line = `2026-12-01T${String((x >> 8) % 24).padStart(2, '0')}:${String(x % 60).padStart(2, '0')}:${String((x >> 4) % 60).padStart(2, '0')}.${String(x % 1000).padStart(3, '0')}Z ${levels[x % levels.length]} svc=api-${x % 17} req=${x.toString(36)} path=/v1/items/${x % 99991} status=${[200, 200, 200, 404, 500][x % 5]} took=${x % 2000}ms user=${(x >> 3).toString(16)}\n`
    parts.push(line)
    n += line.length
  }
  return Buffer.from(parts.join('')).subarray(0, bytes)
}

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256')
  for await (const c of createReadStream(path)) h.update(c as Buffer)
  return h.digest('hex')
}

function time<T>(f: () => T): { value: T; s: number } {
  const t = process.hrtime.bigint()
  const value = f()
  return { value, s: Number(process.hrtime.bigint() - t) / 1e9 }
}

async function timeAsync<T>(f: () => Promise<T>): Promise<{ value: T; s: number }> {
  const t = process.hrtime.bigint()
  const value = await f()
  return { value, s: Number(process.hrtime.bigint() - t) / 1e9 }
}

const rows: string[] = []
const now = new Date().toISOString()

// ---- 1. one large member ------------------------------------------------------------------------
{
  const mib = Number(values['big-mib'])
  const raw = join(scratch, 'big.log')
  const out = createWriteStream(raw)
  for (let i = 0; i < mib / 16; i++) {
    if (!out.write(logChunk(i + 1, 16 * 1024 * 1024))) await new Promise((r) => out.once('drain', r))
  }
  await new Promise((r) => out.end(r))
  execFileSync('bash', ['-c', `gzip -6 -c '${raw}' > '${raw}.gz'`])
  const want = await sha256(raw)
  const size = statSync(raw).size
  const gzSize = statSync(`${raw}.gz`).size
  rmSync(raw)
  const results: [string, number][] = []
  for (const [name, cmd] of [
    ['gzip -dc > file', `gzip -dc '${raw}.gz' > '${scratch}/out-gzip'`],
    ['pigz -dc > file', `pigz -dc '${raw}.gz' > '${scratch}/out-pigz'`],
  ] as const) {
    execFileSync('sync')
    const t = time(() => execFileSync('bash', ['-c', cmd]))
    const outFile = `${scratch}/out-${name.split(' ')[0]}`
    if ((await sha256(outFile)) !== want) throw new Error(`${name}: output differs`)
    rmSync(outFile)
    results.push([name, t.s])
  }
  mkdirSync(join(scratch, 'tmp'), { recursive: true })
  execFileSync('sync')
  const t = await timeAsync(() => extractFile(`${raw}.gz`, join(scratch, 'tmp'), join(scratch, 'out-logferry')))
  if (t.value.status !== 'ok' || (await sha256(join(scratch, 'out-logferry'))) !== want) throw new Error(`logferry: ${JSON.stringify(t.value)}`)
  rmSync(join(scratch, 'out-logferry'))
  results.push(['logferry extractFile (validated, fsync, rename)', t.s])
  const gzipS = (results[0] as [string, number])[1]
  const pigzS = (results[1] as [string, number])[1]
  rows.push(`## Extraction of one ${mib} MiB member (${(gzSize / 2 ** 20).toFixed(0)} MiB .gz, gzip -6 of log text)`, '', '| tool | seconds | MB/s of output | vs gzip | vs pigz |', '| --- | ---: | ---: | ---: | ---: |')
  for (const [name, s] of results) rows.push(`| ${name} | ${s.toFixed(2)} | ${(size / 1e6 / s).toFixed(0)} | ${(gzipS / s).toFixed(2)}x | ${(pigzS / s).toFixed(2)}x |`)
  rows.push('', 'Throughput ratios are speed ratios (higher is faster). Targets: >= 2x gzip, >= 1x pigz.', '')
  rmSync(`${raw}.gz`)
}

// ---- 2. a full pass -----------------------------------------------------------------------------
if (!values['skip-pass']) {
  const n = Number(values.files)
  const sshd = await startSftp()
  try {
    const remote = join(sshd.dataDir, 'bench')
    const servers = ['srv1', 'srv2', 'srv3']
    const old = new Date(Date.now() - 3600_000)
    for (const srv of servers) {
      mkdirSync(join(remote, srv), { recursive: true })
      for (let i = 0; i < n; i++) {
        const p = join(remote, srv, `app-${i}.log.gz`)
        writeFileSync(p, execFileSync('gzip', ['-6', '-c'], { input: logChunk(i * 7 + srv.length, 100 * 1024) }))
        utimesSync(p, old, old)
      }
    }
    execFileSync('chown', ['-R', sshd.username, remote])
    const conf = join(scratch, 'conf')
    const data = join(scratch, 'data')
    mkdirSync(conf)
    writeFileSync(join(conf, '.env'), `DATA_ROOT=${data}\nRETRY_DELAY_BASE=1\n`)
    writeFileSync(join(conf, 'sources.conf'), JSON.stringify({ servers: servers.map((name) => ({ name, host: sshd.host, port: sshd.port, user: sshd.username, identity_file: sshd.privateKeyPath, remote_path: join(remote, name, '*.gz') })) }))
    writeFileSync(join(conf, 'pipeline.conf'), JSON.stringify({ settle_seconds: 0 }))
    const config = loadCollectConfig(conf)
    const c = createCollector(config)
    const first = await timeAsync(() => c.run())
    const second = await timeAsync(() => c.run())
    await c.close()
    if (first.value.processed !== 3 * n || first.value.failed.length > 0) throw new Error(`collect pass: ${JSON.stringify(first.value)}`)
    if (second.value.skippedDone !== 3 * n || second.value.copied !== 0) throw new Error(`second pass: ${JSON.stringify(second.value)}`)

    // The shell loop, same ssh options and ControlMaster (a fair peer).
    const loopDir = join(scratch, 'loop')
    const t = sshTarget(config, config.servers[0] as (typeof config.servers)[number])
    mkdirSync(join(scratch, 'ctl'), { recursive: true, mode: 0o700 })
    const ssh = sshArgs({ ...t, controlDir: join(scratch, 'ctl') }).join(' ')
    const script = `set -e
for srv in ${servers.join(' ')}; do
  mkdir -p '${loopDir}'/incoming/$srv '${loopDir}'/extracted/$srv
  for f in $(${ssh} ${sshd.host} ls ${remote}/$srv/); do
    rsync -t -e "${ssh}" ${sshd.host}:${remote}/$srv/$f '${loopDir}'/incoming/$srv/$f
    gzip -t '${loopDir}'/incoming/$srv/$f
    gzip -dc '${loopDir}'/incoming/$srv/$f > '${loopDir}'/extracted/$srv/\${f%.gz}
  done
done`
    const loop = time(() => spawnSync('bash', ['-c', script], { stdio: ['ignore', 'ignore', 'inherit'] }))
    if (loop.value.status !== 0) throw new Error('shell loop failed')
    rows.push(
      `## A full pass: 3 servers x ${n} x 100 KiB .gz (test sshd on 127.0.0.1, real rsync)`,
      '',
      '| run | seconds | vs shell loop |',
      '| --- | ---: | ---: |',
      `| shell loop: rsync + gzip -t + gzip -dc per file | ${loop.s.toFixed(2)} | 1.00x |`,
      `| logferry collect run (first pass) | ${first.s.toFixed(2)} | ${(first.s / loop.s).toFixed(2)}x |`,
      `| logferry collect run (second pass, nothing to do) | ${second.s.toFixed(2)} | ${(second.s / loop.s).toFixed(2)}x |`,
      '',
      'Wall-time ratios (lower is faster). Target: <= 0.5x the loop.',
      '',
    )
  } finally {
    await sshd.stop()
  }
}

const md = [`# logferry collect benchmark`, '', `${now}, ${process.platform} ${process.arch}, Node ${process.version}, ${execFileSync('nproc').toString().trim()} cores (shared with other work: indicative).`, '', ...rows].join('\n')
writeFileSync(join(here, '..', 'results', 'collect.md'), md)
process.stdout.write(`${md}\n`)
rmSync(scratch, { recursive: true, force: true })
