/**
 * Sync benchmark of `logferry serve`: 1,000 files of 100 KiB on the test sshd (127.0.0.1, needs
 * root like the tests), synced by the service's rsync source (first run, then a second with
 * nothing changed; categorisation included) beside the plain `rsync -a` command to the same
 * sshd, same machine, same run. Median of RUNS. Writes benches/results/serve-sync.md.
 * Run: npm run bench:serve-sync
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogsService } from '../../ts/service/logs-service.js'
import { startSftp } from '../../test/servers/sftp.js'

const FILES = Number(process.env.FILES ?? 1000)
const SIZE = 100 * 1024
const RUNS = Number(process.env.RUNS ?? 3)

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

const sshd = await startSftp()
const work = mkdtempSync(join(tmpdir(), 'lf-bench-sync-'))
try {
  const remote = join(sshd.dataDir, 'logs')
  mkdirSync(remote)
  const body = Buffer.alloc(SIZE, 'log line of a benchmark file\n')
  for (let i = 0; i < FILES; i++) writeFileSync(join(remote, `${['server', 'client', 'vllm', 'monitor', 'job'][i % 5]}-${i}.log`), body)
  const knownHosts = join(work, 'known_hosts')
  const sshCmd = `ssh -p ${sshd.port} -l ${sshd.username} -i ${sshd.privateKeyPath} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=${knownHosts}`

  const plain = { first: [] as number[], second: [] as number[] }
  const svc = { first: [] as number[], second: [] as number[] }
  for (let r = 0; r < RUNS; r++) {
    const dest = join(work, `plain-${r}`)
    for (const k of ['first', 'second'] as const) {
      const t0 = performance.now()
      const p = spawnSync('rsync', ['-a', '-e', sshCmd, `${sshd.host}:${remote}/`, `${dest}/`], { stdio: ['ignore', 'ignore', 'pipe'] })
      plain[k].push(performance.now() - t0)
      if (p.status !== 0) throw new Error(`rsync failed: ${p.stderr.toString()}`)
    }
    const s = await createLogsService({
      cwd: work,
      env: {},
      ignoreEnvFiles: true,
      http: false,
      syncOnStart: false,
      syncInterval: 0,
      logLevel: 'warn',
      dataDir: join(work, `svc-${r}`),
      sources: [{ name: 'bench', kind: 'rsync', host: sshd.host, port: sshd.port, user: sshd.username, identityFile: sshd.privateKeyPath, remotePath: `${remote}/` }],
    })
    await s.start()
    for (const k of ['first', 'second'] as const) {
      const t0 = performance.now()
      const res = await s.core.triggerSync().done
      svc[k].push(performance.now() - t0)
      if (res.outcome !== 'ok') throw new Error(`service sync ${res.outcome}: ${JSON.stringify(res.sources[0]?.error)}`)
      if (k === 'first' && res.filesTransferred !== FILES) throw new Error(`first sync moved ${res.filesTransferred} files`)
      if (k === 'second' && res.filesTransferred !== 0) throw new Error(`second sync moved ${res.filesTransferred} files`)
    }
    await s.stop()
  }
  const rsyncVersion = spawnSync('rsync', ['--version']).stdout.toString().split('\n')[0]
  const row = (name: string, k: 'first' | 'second'): string => {
    const a = median(svc[k])
    const b = median(plain[k])
    return `| ${name} | ${a.toFixed(0)} | ${b.toFixed(0)} | ${(a / b).toFixed(2)}x |`
  }
  const md = `# logferry serve: sync benchmark

${FILES} files x 100 KiB on the test OpenSSH sshd (127.0.0.1), median of ${RUNS} runs, same machine,
same run. The service's time is the whole sync (rsync over its reused SSH connection, itemised
output parsed, every changed file hard-linked into its category). The peer is the plain
\`rsync -a -e "ssh ..."\` command (a new SSH connection each run). ${rsyncVersion}.
Target: <= 1.1x rsync's time for both runs.

| run | logferry serve (ms) | rsync -a (ms) | ratio |
| --- | --- | --- | --- |
${row('first (everything new)', 'first')}
${row('second (nothing changed)', 'second')}

Runs (ms): service first ${svc.first.map((x) => x.toFixed(0)).join(', ')}; second ${svc.second.map((x) => x.toFixed(0)).join(', ')};
rsync first ${plain.first.map((x) => x.toFixed(0)).join(', ')}; second ${plain.second.map((x) => x.toFixed(0)).join(', ')}.
`
  mkdirSync(join('benches', 'results'), { recursive: true })
  writeFileSync(join('benches', 'results', 'serve-sync.md'), md)
  console.log(md)
} finally {
  await sshd.stop()
  rmSync(work, { recursive: true, force: true })
}
