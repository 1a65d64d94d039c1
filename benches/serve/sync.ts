/**
 * Sync benchmark of `logferry serve`: 1,000 files of 100 KiB on the test sshd (127.0.0.1, needs
 * root like the tests), synced by the service's rsync source (first run, then a second with
 * nothing changed; categorisation and error scan included) beside the plain `rsync -a` command
 * to the same sshd, same machine, same run. Runs are interleaved (the order alternates run by
 * run) so that load from elsewhere hits both; the ratio is taken per run (service / the rsync of
 * the same run), then the median. CPU time is reported beside wall time: the service process
 * itself, and its rsync/ssh children plus the ssh master it keeps, against rsync + ssh of the peer.
 * Two more peers show what the service's own choices cost or save on plain rsync alone: its rsync
 * flags (-rt, --partial-dir, --timeout, --out-format) and its ssh cipher preference.
 * Writes benches/results/serve-sync.md. Run: npm run bench:serve-sync (RUNS=5, FILES=1000).
 */
import { spawnSync } from 'node:child_process'
import { subscribe } from 'node:diagnostics_channel'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AES_FIRST_CIPHERS } from '../../ts/delivery/rsync.js'
import { rsyncSyncService } from '../../test/service/rsync-sync-service.js'
import { SYNC_TRACE_CHANNEL, type SyncTraceEvent } from '../../ts/service/sync/sync-trace.js'
import { startSftp } from '../../test/servers/sftp.js'

const FILES = Number(process.env.FILES ?? 1000)
const SIZE = 100 * 1024
const RUNS = Number(process.env.RUNS ?? 5)
const TICK_MS = 10 // USER_HZ 100

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const range = (xs: number[]): string => `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}`
const loadavg = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')

/** utime+stime (and, with children, the reaped children's) of a process in ms. */
function procCpu(pid: number | 'self', children: boolean): number {
  try {
    const t = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = t.slice(t.lastIndexOf(')') + 2).split(' ').map(Number)
    return ((f[11] as number) + (f[12] as number) + (children ? (f[13] as number) + (f[14] as number) : 0)) * TICK_MS
  } catch {
    return 0
  }
}

/** Reaped children of this process (rsync and its ssh), ms. */
const childrenCpu = (): number => procCpu('self', true) - procCpu('self', false)

/** ssh ControlMaster processes (`ssh: <socket> [mux]`) running now, by pid. */
function masters(): Set<number> {
  const out = new Set<number>()
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      if (/^ssh: .*\[mux\]/.test(readFileSync(`/proc/${d}/cmdline`, 'utf8'))) out.add(Number(d))
    } catch {
      // gone meanwhile
    }
  }
  return out
}

const sshd = await startSftp()
const work = mkdtempSync(join(tmpdir(), 'lf-bench-sync-'))
try {
  const remote = join(sshd.dataDir, 'logs')
  mkdirSync(remote)
  const body = Buffer.alloc(SIZE, 'log line of a benchmark file\n')
  for (let i = 0; i < FILES; i++) writeFileSync(join(remote, `${['server', 'client', 'vllm', 'monitor', 'job'][i % 5]}-${i}.log`), body)
  const knownHosts = join(work, 'known_hosts')
  const ssh = ['ssh', '-p', String(sshd.port), '-l', sshd.username, '-i', sshd.privateKeyPath, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=accept-new', '-o', `UserKnownHostsFile=${knownHosts}`]
  const peers = {
    'rsync -a': { flags: ['-a'], ssh },
    'rsync with the service flags': { flags: ['-rt', '--timeout=60', '--partial', '--partial-dir=.rsync-partial', '--out-format=LFRSYNC\t%i\t%l\t%b\t%n'], ssh },
    'rsync -a, AES-GCM ssh cipher': { flags: ['-a'], ssh: [...ssh, '-o', `Ciphers=${AES_FIRST_CIPHERS}`] },
  }
  type Peer = keyof typeof peers
  type Sample = { wall: number; cpu: number }
  const plain = new Map<Peer, { first: Sample[]; second: Sample[] }>(Object.keys(peers).map((k) => [k as Peer, { first: [], second: [] }]))
  const svc = { first: [] as (Sample & { node: number; tail: number })[], second: [] as Sample[] }
  let marks: SyncTraceEvent[] = []
  subscribe(SYNC_TRACE_CHANNEL, (m) => void marks.push(m as SyncTraceEvent))

  const runPlain = (name: Peer, r: number): void => {
    const p = peers[name]
    const dest = join(work, `plain-${r}`)
    for (const k of ['first', 'second'] as const) {
      const c0 = childrenCpu()
      const t0 = performance.now()
      const res = spawnSync('rsync', [...p.flags, '-e', p.ssh.join(' '), `${sshd.host}:${remote}/`, `${dest}/`], { stdio: ['ignore', 'ignore', 'pipe'] })
      const wall = performance.now() - t0
      if (res.status !== 0) throw new Error(`rsync failed: ${res.stderr.toString()}`)
      plain.get(name)?.[k].push({ wall, cpu: childrenCpu() - c0 })
    }
    rmSync(dest, { recursive: true, force: true })
  }

  const runService = async (r: number): Promise<void> => {
    const dataDir = join(work, `svc-${r}`)
    const s = await rsyncSyncService({ cwd: work, dataDir, sshd, name: 'bench', remoteDir: remote })
    await s.start()
    const before = masters()
    for (const k of ['first', 'second'] as const) {
      const mine = [...masters()].filter((p) => !before.has(p))
      const m0 = mine.reduce((n, p) => n + procCpu(p, true), 0)
      const c0 = childrenCpu()
      const n0 = process.cpuUsage()
      marks = []
      const t0 = performance.now()
      const res = await s.core.triggerSync().done
      const wall = performance.now() - t0
      const n = process.cpuUsage(n0)
      const node = (n.user + n.system) / 1000
      const m1 = [...masters()].filter((p) => !before.has(p)).reduce((x, p) => x + procCpu(p, true), 0)
      if (res.outcome !== 'ok') throw new Error(`service sync ${res.outcome}: ${JSON.stringify(res.sources[0]?.error)}`)
      if (k === 'first' && res.filesTransferred !== FILES) throw new Error(`first sync moved ${res.filesTransferred} files`)
      if (k === 'second' && res.filesTransferred !== 0) throw new Error(`second sync moved ${res.filesTransferred} files`)
      const cpu = node + childrenCpu() - c0 + m1 - m0
      if (k === 'first') {
        // What is left once rsync has exited (categorising the last files, state written).
        const exit = marks.find((m) => m.phase === 'rsync-exit')?.at ?? t0 + wall
        svc.first.push({ wall, cpu, node, tail: t0 + wall - exit })
      } else svc.second.push({ wall, cpu })
    }
    await s.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }

  const loadBefore = loadavg()
  for (let r = 0; r < RUNS; r++) {
    const names = Object.keys(peers) as Peer[]
    // Alternate: the service first on odd runs, last on even ones.
    if (r % 2 === 1) await runService(r)
    for (const name of r % 2 === 1 ? [...names].reverse() : names) runPlain(name, r)
    if (r % 2 === 0) await runService(r)
  }
  const loadAfter = loadavg()

  const peer = plain.get('rsync -a') as { first: Sample[]; second: Sample[] }
  const ratio = (k: 'first' | 'second'): number => median(svc[k].map((s, i) => s.wall / (peer[k][i] as Sample).wall))
  const rsyncVersion = spawnSync('rsync', ['--version']).stdout.toString().split('\n')[0]
  const sshVersion = spawnSync('ssh', ['-V']).stderr.toString().trim()
  const row = (name: string, k: 'first' | 'second', xs: Sample[], vsPeer: boolean): string =>
    `| ${name} | ${k} | ${median(xs.map((x) => x.wall)).toFixed(0)} (${range(xs.map((x) => x.wall))}) | ${median(xs.map((x) => x.cpu)).toFixed(0)} | ${vsPeer ? `${median(xs.map((x, i) => x.wall / (peer[k][i] as Sample).wall)).toFixed(2)}x` : ''} |`
  const rows: string[] = []
  for (const k of ['first', 'second'] as const) {
    rows.push(row('**logferry serve**', k, svc[k], true))
    for (const [name, p] of plain) rows.push(row(name, k, p[k], name !== 'rsync -a'))
  }
  const md = `# logferry serve: sync benchmark

${FILES} files x 100 KiB on the test OpenSSH sshd (127.0.0.1), ${RUNS} interleaved runs (the order
alternates run by run), same machine, same run. The service's time is the whole sync (rsync over
its reused SSH connection, itemised output parsed, every changed file hard-linked into its category
and scanned for error events, state written). The peer is the plain \`rsync -a -e "ssh ..."\`
command (a new SSH connection each run; the service's first sync opens its connection too, its
second reuses it). ${rsyncVersion}; ${sshVersion}.
Target: <= 1.1x rsync's time for both runs. Ratio: per run (against the \`rsync -a\` of the same
run), median. CPU (ms): the service process plus its rsync/ssh children and its ssh master, against
rsync + ssh of the peer (the sshd side is not counted for either).

| command | sync | wall ms, median (range) | CPU ms, median | vs rsync -a |
| --- | --- | --- | --- | --- |
${rows.join('\n')}

**First sync: ${ratio('first').toFixed(2)}x rsync -a; second: ${ratio('second').toFixed(2)}x.** Load average (1, 5, 15 min) ${loadBefore} before, ${loadAfter} after.
Service, first sync: node process CPU ${median(svc.first.map((s) => s.node)).toFixed(0)} ms (median; ${range(svc.first.map((s) => s.node))}), time after rsync exited ${median(svc.first.map((s) => s.tail)).toFixed(0)} ms (${range(svc.first.map((s) => s.tail))}).
Runs (ms), first: service ${svc.first.map((x) => x.wall.toFixed(0)).join(', ')}; rsync -a ${peer.first.map((x) => x.wall.toFixed(0)).join(', ')}.
`
  mkdirSync(join('benches', 'results'), { recursive: true })
  writeFileSync(join('benches', 'results', 'serve-sync.md'), md)
  console.log(md)
} finally {
  await sshd.stop()
  rmSync(work, { recursive: true, force: true })
}
