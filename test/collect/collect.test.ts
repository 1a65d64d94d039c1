// `logferry collect` end to end: three "servers" (three users' directories behind the test
// OpenSSH sshd, each its own sources.conf entry), the real rsync over ssh, files made by the real
// gzip/bzip2/xz/zstd, the SQLite state store. Full run byte-identical and idempotent, the settle
// rule, a copy failure and a server down recovered, kill -9 during copy and during extraction.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCollector, type CollectEvent } from '../../ts/collect/collector.js'
import { loadCollectConfig } from '../../ts/collect/config.js'
import { CollectState } from '../../ts/collect/state.js'
import { createHash } from 'node:crypto'
import { startSftp, type StartedSftp } from '../servers/sftp.js'

const CLI = resolve('dist/cli.js')
const work = mkdtempSync(join(tmpdir(), 'lf-collect-'))
let sshd: StartedSftp
let remoteRoot: string
const SERVERS = ['srv1', 'srv2', 'srv3']
let restartedDir: string | undefined

function chownRemote(): void {
  execFileSync('chown', ['-R', sshd.username, remoteRoot])
}

function remoteFile(server: string, name: string, data: Buffer): string {
  const p = join(remoteRoot, server, name)
  mkdirSync(dirname(p), { recursive: true })
  writeFileSync(p, data)
  // Old enough to have settled (the settle rule is tested on its own).
  const old = new Date(Date.now() - 3600_000)
  utimesSync(p, old, old)
  chownRemote()
  return p
}

function text(n: number, tag: string): Buffer {
  const lines: string[] = []
  for (let i = 0; i < n; i++) lines.push(`2026-12-01T20:00:${String(i % 60).padStart(2, '0')}Z INFO ${tag} request ${i} took ${(i * 37) % 1000}ms\n`)
  return Buffer.from(lines.join(''))
}

const tool = (bin: string, data: Buffer, args: string[] = []): Buffer => execFileSync(bin, ['-c', ...args], { input: data, maxBuffer: 1 << 30 })

interface Setup {
  conf: string
  data: string
  state: string
  root: string
}

/** A conf dir and a data root for one scenario; `servers` each read `<remoteRoot>/<scenario>/<srv>/`. */
function setup(scenario: string, o: { settle?: number; maxRetryCopy?: number; extraEnv?: string } = {}): Setup {
  const root = mkdtempSync(join(work, `${scenario}-`))
  const conf = join(root, 'conf')
  const data = join(root, 'data')
  mkdirSync(conf)
  writeFileSync(join(conf, '.env'), [`DATA_ROOT=${data}`, `STATE_DIR=${join(root, 'state')}`, `MAX_RETRY_COPY=${o.maxRetryCopy ?? 1}`, 'MAX_RETRY_EXTRACT=1', 'RETRY_DELAY_BASE=0', o.extraEnv ?? '', ''].join('\n'))
  writeFileSync(
    join(conf, 'sources.conf'),
    JSON.stringify({
      servers: SERVERS.map((name) => ({
        name,
        host: sshd.host,
        port: sshd.port,
        user: sshd.username,
        identity_file: sshd.privateKeyPath,
        remote_path: join(remoteRoot, scenario, name, '*'),
        enabled: true,
      })),
    }),
  )
  writeFileSync(join(conf, 'pipeline.conf'), JSON.stringify({ settle_seconds: o.settle ?? 0, parallel_servers: 3, parallel_files_per_server: 2 }))
  return { conf, data, state: join(root, 'state'), root }
}

/** Live processes whose command line mentions `needle` (pid and command line). */
function processesMentioning(needle: string): string[] {
  const out: string[] = []
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')
      if (cmd.includes(needle) && !cmd.includes('vitest')) out.push(`${pid}: ${cmd}`)
    } catch {
      // gone meanwhile
    }
  }
  return out
}

async function noneLeft(needle: string, ms: number): Promise<string[]> {
  const until = Date.now() + ms
  let left = processesMentioning(needle)
  while (left.length > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100))
    left = processesMentioning(needle)
  }
  return left
}

/** Every collect log file of `dir` (rotation names them collect_<time>.log), concatenated. */
function readLogs(dir: string): string {
  const files = filesIn(dir).filter((f) => /^collect.*\.log$/.test(f))
  expect(files.length, `log files in ${dir}`).toBeGreaterThan(0)
  return files.map((f) => readFileSync(join(dir, f), 'utf8')).join('')
}

function filesIn(d: string): string[] {
  return existsSync(d) ? readdirSync(d).filter((f) => !f.startsWith('.')).sort() : []
}

function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [CLI, 'collect', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    child.on('close', (code, signal) => res({ code, signal, stdout, stderr: signal ? `killed by ${signal}\n${stderr}` : stderr }))
  })
}

beforeAll(async () => {
  if (!existsSync(CLI)) execFileSync('npm', ['run', 'build:ts'], { stdio: 'ignore' })
  sshd = await startSftp()
  remoteRoot = join(sshd.dataDir, 'collect')
  mkdirSync(remoteRoot)
  chownRemote()
})

afterAll(async () => {
  await sshd?.stop()
  if (restartedDir) rmSync(restartedDir, { recursive: true, force: true })
  rmSync(work, { recursive: true, force: true })
})

describe('logferry collect', () => {
  it('full run: every file extracted byte-identical to the tools; the second run copies and extracts nothing', async () => {
    const s = setup('full')
    const want = new Map<string, Buffer>()
    const put = (server: string, name: string, compressed: Buffer, bin: string, extracted: string): void => {
      const p = remoteFile(`full/${server}`, name, compressed)
      want.set(`${server}/${extracted}`, execFileSync(bin, ['-dc', p], { maxBuffer: 1 << 30 }))
    }
    put('srv1', 'app-1.log.gz', tool('gzip', text(3000, 'a')), 'gzip', 'app-1.log')
    put('srv1', 'app-2.log.gz', Buffer.concat([tool('gzip', text(100, 'b1')), tool('gzip', Buffer.alloc(0)), tool('gzip', text(200, 'b2'))]), 'gzip', 'app-2.log')
    put('srv1', 'app-3.log.gz', tool('pigz', text(5000, 'c')), 'gzip', 'app-3.log')
    put('srv2', 'db.log.bz2', tool('bzip2', text(2000, 'd')), 'bzip2', 'db.log')
    put('srv2', 'db2.log.xz', tool('xz', text(2000, 'e')), 'xz', 'db2.log')
    put('srv3', 'web.log.zst', tool('zstd', text(4000, 'f')), 'zstd', 'web.log')
    const metricsFile = join(s.root, 'collect.prom')
    const r = await runCli(['run', '--config-dir', s.conf, '--metrics-file', metricsFile])
    expect(r.code, r.stderr).toBe(0)
    const prom = readFileSync(metricsFile, 'utf8')
    expect(prom).toContain('logferry_collect_files{server="srv1",state="processed"} 3')
    expect(prom).toContain('logferry_collect_last_pass_files{outcome="extracted"} 6')
    expect(prom).toContain(`logferry_collect_last_pass_bytes{stage="extracted"} ${[...want.values()].reduce((n, b) => n + b.length, 0)}`)
    for (const [rel, content] of want) {
      expect(readFileSync(join(s.data, 'extracted', rel)).equals(content), rel).toBe(true)
    }
    for (const srv of SERVERS) {
      expect(filesIn(join(s.data, 'extracted', srv)).length, srv).toBe([...want.keys()].filter((k) => k.startsWith(`${srv}/`)).length)
      expect(filesIn(join(s.data, 'incoming', srv)), srv).toEqual([])
    }
    expect(filesIn(join(s.data, 'processed', 'srv2'))).toEqual(['db.log.bz2', 'db2.log.xz'])
    expect(filesIn(s.state)).toContain('collect.db')
    expect(readdirSync(join(s.data, 'tmp'))).toEqual([])
    // JSON lines through logferry's Logger into LOG_DIR (default DATA_ROOT/logs); a human line on stderr.
    const lines = readLogs(join(s.data, 'logs')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
    const line = lines.find((l) => l.message === 'File collected successfully') as Record<string, unknown>
    // The seed's keys: timestamp, level, logger, message, server, file, operation.
    expect(line).toMatchObject({ level: 'info', logger: 'logferry.collect', operation: 'copy' })
    expect(Object.keys(line)).not.toContain('time')
    expect(typeof line.server).toBe('string')
    expect(typeof line.file).toBe('string')
    expect(Number.isNaN(Date.parse(line.timestamp as string))).toBe(false)
    expect(lines.filter((l) => l.message === 'File extracted successfully').length).toBe(6)
    expect(r.stderr).toMatch(/^INFO  srv\d copy \S+: File collected successfully$/m)
    expect(r.stderr).not.toContain('{"')

    const c = createCollector(loadCollectConfig(s.conf))
    try {
      const rows = c.rows()
      expect(rows.length).toBe(6)
      for (const row of rows) {
        expect(row.status).toBe('processed')
        expect(row.payload.sha256).toMatch(/^[0-9a-f]{64}$/)
        expect(row.payload.size).toBe(readFileSync(join(s.data, 'processed', row.payload.server, row.payload.name)).length)
      }
      expect(c.status().map((x) => [x.server, x.counts.processed])).toEqual([
        ['srv1', 3],
        ['srv2', 2],
        ['srv3', 1],
      ])
      const second = await c.run()
      expect(second).toMatchObject({ listed: 6, skippedDone: 6, copied: 0, extracted: 0, processed: 0, failed: [] })
      // The same content under a new name is not extracted twice.
      remoteFile('full/srv1', 'app-1-renamed.log.gz', readFileSync(join(s.data, 'processed', 'srv1', 'app-1.log.gz')))
      const third = await c.run()
      expect(third).toMatchObject({ copied: 1, extracted: 0, duplicates: 1, processed: 1 })
      expect(filesIn(join(s.data, 'extracted', 'srv1'))).toEqual(['app-1.log', 'app-2.log', 'app-3.log'])
      // status works while this collector holds the store; a second run is refused.
      const during = await runCli(['status', '--config-dir', s.conf])
      expect(during.code, during.stderr).toBe(0)
      expect(during.stdout).toMatch(/srv1 +0 +0 +0 +4 +0/)
      const second2 = await runCli(['run', '--config-dir', s.conf])
      expect(second2.code).toBe(1)
      expect(second2.stderr).toContain('ERR_STATE_LOCKED')
    } finally {
      await c.close()
    }
    const st = await runCli(['status', '--config-dir', s.conf, '--json'])
    expect(st.code).toBe(0)
    expect(JSON.parse(st.stdout)).toEqual([
      { server: 'srv1', counts: { pending: 0, copied: 0, extracted: 0, processed: 4, error: 0 } },
      { server: 'srv2', counts: { pending: 0, copied: 0, extracted: 0, processed: 2, error: 0 } },
      { server: 'srv3', counts: { pending: 0, copied: 0, extracted: 0, processed: 1, error: 0 } },
    ])
  })

  it('damaged files land in error/quarantine with the reason and offset; exit status 1', async () => {
    const s = setup('damaged')
    const good = tool('gzip', text(1000, 'g'))
    remoteFile('damaged/srv1', 'cut.log.gz', good.subarray(0, good.length - 5))
    remoteFile('damaged/srv1', 'plain.log.gz', text(10, 'p'))
    const isize = Buffer.from(good)
    isize.writeUInt32LE(1, isize.length - 4)
    remoteFile('damaged/srv2', 'isize.log.gz', isize)
    remoteFile('damaged/srv3', 'ok.log.gz', good)
    const r = await runCli(['run', '--config-dir', s.conf, '--sequential'])
    expect(r.code, r.stderr).toBe(1)
    expect(filesIn(join(s.data, 'error', 'quarantine', 'srv1'))).toEqual(['cut.log.gz', 'cut.log.gz.error.json', 'plain.log.gz', 'plain.log.gz.error.json'])
    const cut = JSON.parse(readFileSync(join(s.data, 'error', 'quarantine', 'srv1', 'cut.log.gz.error.json'), 'utf8')) as Record<string, unknown>
    expect(cut).toMatchObject({ errorType: 'quarantine', reason: 'truncated' })
    const isz = JSON.parse(readFileSync(join(s.data, 'error', 'quarantine', 'srv2', 'isize.log.gz.error.json'), 'utf8')) as Record<string, unknown>
    expect(isz).toMatchObject({ reason: 'length_mismatch', offset: isize.length - 4 })
    expect(filesIn(join(s.data, 'extracted', 'srv1'))).toEqual([])
    expect(filesIn(join(s.data, 'extracted', 'srv3'))).toEqual(['ok.log'])
    // Quarantined files are not retried by the next run.
    const again = await runCli(['run', '--config-dir', s.conf, '--json'])
    expect(JSON.parse(again.stdout)).toMatchObject({ inError: 3, copied: 0, skippedDone: 1 })
  })

  it('a file still growing is skipped until it settles', async () => {
    const s = setup('growing', { settle: 30 })
    const p = join(remoteRoot, 'growing', 'srv1', 'live.log.gz')
    mkdirSync(dirname(p), { recursive: true })
    writeFileSync(p, tool('gzip', text(100, 'live')))
    chownRemote()
    const c = createCollector(loadCollectConfig(s.conf))
    try {
      const first = await c.run()
      expect(first).toMatchObject({ listed: 1, settling: 1, copied: 0 })
      expect(filesIn(join(s.data, 'incoming', 'srv1'))).toEqual([])
      // Written again: still within the settle time.
      writeFileSync(p, tool('gzip', text(200, 'live')))
      expect(await c.run()).toMatchObject({ settling: 1, copied: 0 })
      // No change for longer than the settle time.
      const old = new Date(Date.now() - 31_000)
      utimesSync(p, old, old)
      expect(await c.run()).toMatchObject({ settling: 0, copied: 1, extracted: 1, processed: 1 })
      expect(readFileSync(join(s.data, 'extracted', 'srv1', 'live.log')).equals(text(200, 'live'))).toBe(true)
    } finally {
      await c.close()
    }
  })

  it('a copy that fails goes to error/copy after its retries; recover after the cause is gone succeeds', async () => {
    const s = setup('copyfail', { maxRetryCopy: 2 })
    const p = remoteFile('copyfail/srv2', 'locked.log.gz', tool('gzip', text(300, 'locked')))
    chmodSync(p, 0o000)
    const events: CollectEvent[] = []
    const c = createCollector(loadCollectConfig(s.conf), { onEvent: (e) => events.push(e) })
    try {
      const r = await c.run({ servers: ['srv2'] })
      expect(r.failed).toMatchObject([{ server: 'srv2', errorType: 'copy' }])
      expect(filesIn(join(s.data, 'error', 'copy', 'srv2'))).toEqual(['locked.log.gz.error.json'])
      expect(c.status().find((x) => x.server === 'srv2')?.counts.error).toBe(1)
      chmodSync(p, 0o644)
      const rec = await c.recover({ errorType: 'copy', server: 'srv2' })
      expect(rec).toMatchObject({ recovered: 1, summary: { copied: 1, extracted: 1, processed: 1, failed: [] } })
      expect(filesIn(join(s.data, 'error', 'copy', 'srv2'))).toEqual([])
      expect(readFileSync(join(s.data, 'extracted', 'srv2', 'locked.log')).equals(text(300, 'locked'))).toBe(true)
      const row = c.rows().find((x) => x.payload.name === 'locked.log.gz')
      expect(row).toMatchObject({ status: 'processed', payload: { copyRetries: 0, extractRetries: 0 } })
    } finally {
      await c.close()
    }
  })

  it('server down: the copy is retried, lands in error/copy, and recover succeeds once the server is back', async () => {
    const s = setup('down', { maxRetryCopy: 2 })
    const p = remoteFile('down/srv1', 'late.log.gz', tool('gzip', text(500, 'late')))
    const port = sshd.port
    const dir = dirname(sshd.dataDir)
    await sshd.kill()
    try {
      const down = await runCli(['fetch', 'srv1', p, '--config-dir', s.conf])
      expect(down.code, down.stderr).toBe(1)
      expect(down.stderr.match(/copy failed, retry in/g)?.length).toBe(2)
      expect(filesIn(join(s.data, 'error', 'copy', 'srv1'))).toEqual(['late.log.gz.error.json'])
      const run = await runCli(['run', '--config-dir', s.conf])
      expect(run.code).toBe(1)
      expect(run.stderr).toContain('server unreachable')
    } finally {
      // The same host key, keys and port (the old process was killed, its directory kept).
      sshd = await startSftp({ dir, port })
      restartedDir = dir
    }
    const rec = await runCli(['recover', '--server', 'srv1', '--config-dir', s.conf])
    expect(rec.code, rec.stderr).toBe(0)
    expect(rec.stdout).toContain('recovered 1')
    expect(readFileSync(join(s.data, 'extracted', 'srv1', 'late.log')).equals(text(500, 'late'))).toBe(true)
  })

  for (const phase of ['copy', 'extraction'] as const) {
    it(`kill -9 during ${phase}, then a rerun: the exact set extracted, none twice, none partial`, async () => {
      const s = setup(`kill-${phase}`)
      const want = new Map<string, Buffer>()
      for (const srv of SERVERS) {
        for (let i = 0; i < 3; i++) {
          const content = text(3000, `${srv}-${i}`)
          // Large members make the extraction long enough to be caught; random-ish bytes make the copy long.
          const big =
            i !== 0 ? content : phase === 'extraction' ? Buffer.concat([content, Buffer.alloc(300 * 1024 * 1024, 0x61)]) : Buffer.concat([content, randomBytes(24 * 1024 * 1024)])
          remoteFile(`kill-${phase}/${srv}`, `f${i}.log.gz`, tool('gzip', big, ['-1']))
          want.set(`${srv}/f${i}.log`, big)
        }
      }
      const child: ChildProcess = spawn(process.execPath, [CLI, 'collect', 'run', '--config-dir', s.conf, '--quiet'], { stdio: 'ignore' })
      const tmp = join(s.data, 'tmp')
      const caught = await new Promise<boolean>((res) => {
        const t = setInterval(() => {
          const hit =
            phase === 'extraction'
              ? existsSync(tmp) && readdirSync(tmp).some((f) => f.endsWith('.part'))
              : SERVERS.some((srv) => existsSync(join(s.data, 'incoming', srv, '.rsync-partial')) || (existsSync(join(s.data, 'incoming', srv)) && readdirSync(join(s.data, 'incoming', srv)).some((f) => f.startsWith('.f'))))
          if (hit) {
            clearInterval(t)
            child.kill('SIGKILL')
            res(true)
          }
        }, 2)
        child.on('exit', () => {
          clearInterval(t)
          res(false)
        })
      })
      expect(caught, `the collector was killed during ${phase}`).toBe(true)
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.on('exit', r)))
      // rsync and ssh die with the collector (no handler runs on kill -9): none left copying.
      expect(await noneLeft(s.data, 1000), 'rsync children of the killed collector').toEqual([])
      expect(await noneLeft(join(remoteRoot, `kill-${phase}`), 1000), 'ssh clients / remote rsync of the killed collector').toEqual([])
      const control = (JSON.parse(readFileSync(join(s.state, 'ssh-control.json'), 'utf8')) as { dir: string }).dir
      // Nothing partial is visible in extracted/.
      for (const srv of SERVERS) {
        for (const f of filesIn(join(s.data, 'extracted', srv))) {
          expect(readFileSync(join(s.data, 'extracted', srv, f)).equals(want.get(`${srv}/${f}`) as Buffer), `${srv}/${f} after the kill`).toBe(true)
        }
      }
      const rerun = await runCli(['run', '--config-dir', s.conf])
      expect(rerun.code, rerun.stderr).toBe(0)
      for (const srv of SERVERS) {
        expect(filesIn(join(s.data, 'extracted', srv)), srv).toEqual(['f0.log', 'f1.log', 'f2.log'])
        for (const f of ['f0.log', 'f1.log', 'f2.log']) {
          expect(readFileSync(join(s.data, 'extracted', srv, f)).equals(want.get(`${srv}/${f}`) as Buffer), `${srv}/${f}`).toBe(true)
        }
        expect(filesIn(join(s.data, 'incoming', srv))).toEqual([])
      }
      expect(readdirSync(tmp)).toEqual([])
      // The ssh master connections the killed run left (daemons, ControlPersist) were stopped by the rerun.
      expect(processesMentioning(control), 'stale ssh masters').toEqual([])
      expect(existsSync(control)).toBe(false)
      const third = await runCli(['run', '--config-dir', s.conf, '--json'])
      expect(JSON.parse(third.stdout)).toMatchObject({ skippedDone: 9, copied: 0, extracted: 0 })
    })
  }

  it('password auth through sshpass (SSH_PASSWORD from the environment, never in a log line); --sequential', async () => {
    const s = setup('password')
    const sources = JSON.parse(readFileSync(join(s.conf, 'sources.conf'), 'utf8')) as { servers: Record<string, unknown>[] }
    for (const srv of sources.servers) delete srv.identity_file
    writeFileSync(join(s.conf, 'sources.conf'), JSON.stringify(sources))
    remoteFile('password/srv1', 'pw.log.gz', tool('gzip', text(100, 'pw')))
    remoteFile('password/srv3', 'pw3.log.xz', tool('xz', text(100, 'pw3')))
    const r = await runCli(['run', '--config-dir', s.conf, '--sequential'], { SSH_PASSWORD: sshd.password })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).not.toContain(sshd.password)
    expect(readLogs(join(s.data, 'logs'))).not.toContain(sshd.password)
    expect(r.stdout).not.toContain(sshd.password)
    expect(readFileSync(join(s.data, 'extracted', 'srv1', 'pw.log')).equals(text(100, 'pw'))).toBe(true)
    expect(readFileSync(join(s.data, 'extracted', 'srv3', 'pw3.log')).equals(text(100, 'pw3'))).toBe(true)
    // Without the password (and without a key) the servers cannot be listed: exit 1.
    const denied = await runCli(['run', '--config-dir', s.conf])
    expect(denied.code).toBe(1)
    expect(denied.stderr).toContain('server unreachable')
    // Written in .env it is refused.
    writeFileSync(join(s.conf, '.env'), `${readFileSync(join(s.conf, '.env'), 'utf8')}SSH_PASSWORD=secret\n`)
    const inFile = await runCli(['status', '--config-dir', s.conf])
    expect(inFile.code).toBe(2)
    expect(inFile.stderr).toContain('SSH_PASSWORD: must not be written in a file')
    expect(inFile.stderr).not.toContain('secret')
  })

  it('collect extract FILE [SERVER]: a local file through extraction and finish, once', async () => {
    const s = setup('local')
    const src = join(s.root, 'drop', 'manual.log.gz')
    mkdirSync(dirname(src), { recursive: true })
    writeFileSync(src, tool('gzip', text(700, 'manual')))
    const r = await runCli(['extract', src, 'srv2', '--config-dir', s.conf])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({ state: 'processed' })
    expect(readFileSync(join(s.data, 'extracted', 'srv2', 'manual.log')).equals(text(700, 'manual'))).toBe(true)
    expect(filesIn(join(s.data, 'processed', 'srv2'))).toEqual(['manual.log.gz'])
    expect(existsSync(src)).toBe(true)
    const again = await runCli(['extract', src, 'srv2', '--config-dir', s.conf])
    expect(JSON.parse(again.stdout)).toEqual({ state: 'processed', skipped: 'done' })
    writeFileSync(join(s.root, 'drop', 'bad.gz'), 'not compressed\n')
    const logDir = join(s.root, 'textlogs')
    const bad = await runCli(['extract', join(s.root, 'drop', 'bad.gz'), '--config-dir', s.conf], { LOG_FORMAT: 'text', LOG_DIR: logDir })
    expect(bad.code).toBe(1)
    expect(JSON.parse(bad.stdout)).toMatchObject({ state: 'error', errorType: 'quarantine' })
    // LOG_FORMAT=text: the Logger's template lines in LOG_DIR.
    expect(readLogs(logDir)).toMatch(/^\d{4}-\d\d-\d\dT\S+Z ERROR logferry\.collect file moved to error\/quarantine server=local file=bad\.gz operation=extract reason=/m)
    expect(filesIn(join(s.data, 'error', 'quarantine', 'local'))).toEqual(['bad.gz', 'bad.gz.error.json'])
  })

  it('the webhook gets a JSON POST for a quarantined file, retried after a 500 (sent in the background, awaited at close)', async () => {
    const bodies: Record<string, unknown>[] = []
    let calls = 0
    const server = createServer((req, res) => {
      let b = ''
      req.on('data', (c: Buffer) => (b += c.toString()))
      req.on('end', () => {
        calls++
        if (calls === 1) {
          res.statusCode = 500
          return res.end('busy')
        }
        bodies.push(JSON.parse(b) as Record<string, unknown>)
        res.end('ok')
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as AddressInfo).port
    try {
      const s = setup('webhook', { extraEnv: `WEBHOOK_URL=http://127.0.0.1:${port}/hook` })
      const good = tool('gzip', text(100, 'w'))
      remoteFile('webhook/srv1', 'bad.log.gz', Buffer.concat([good, Buffer.from('garbage')]))
      remoteFile('webhook/srv1', 'good.log.gz', good)
      const c = createCollector(loadCollectConfig(s.conf))
      const r = await c.run()
      expect(r).toMatchObject({ processed: 1, failed: [{ errorType: 'quarantine' }] })
      await c.close()
      expect(calls).toBe(2)
      expect(bodies).toMatchObject([{ event: 'quarantine', server: 'srv1', file: 'bad.log.gz', reason: 'trailing_garbage', offset: good.length, source: 'logferry collect' }])
    } finally {
      server.close()
    }
  })

  it('cleanup_days: old files of processed/ are removed after a pass; off by default', async () => {
    const s = setup('cleanup')
    remoteFile('cleanup/srv1', 'old.log.gz', tool('gzip', text(50, 'old')))
    const conf = JSON.parse(readFileSync(join(s.conf, 'pipeline.conf'), 'utf8')) as Record<string, unknown>
    const c0 = createCollector(loadCollectConfig(s.conf))
    try {
      expect(await c0.run()).toMatchObject({ processed: 1, cleanedUp: 0 })
    } finally {
      await c0.close()
    }
    expect(filesIn(join(s.data, 'processed', 'srv1'))).toEqual(['old.log.gz'])
    writeFileSync(join(s.conf, 'pipeline.conf'), JSON.stringify({ ...conf, cleanup_days: 1 / 86_400 }))
    await new Promise((r) => setTimeout(r, 1100))
    const c = createCollector(loadCollectConfig(s.conf))
    try {
      expect(await c.run()).toMatchObject({ skippedDone: 1, cleanedUp: 1 })
    } finally {
      await c.close()
    }
    expect(filesIn(join(s.data, 'processed', 'srv1'))).toEqual([])
    expect(filesIn(join(s.data, 'extracted', 'srv1'))).toEqual(['old.log'])
  })

  it('RETRY_DELAY_MAX caps every backoff wait (a base of 100 s, a cap of 1 s: the retries happen within seconds)', async () => {
    const s = setup('delaymax', { maxRetryCopy: 2, extraEnv: 'RETRY_DELAY_BASE=100\nRETRY_DELAY_MAX=1' })
    // A port nothing listens on: ssh fails at once, every attempt.
    const port = await new Promise<number>((res) => {
      const srv = createNetServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as AddressInfo).port
        srv.close(() => res(p))
      })
    })
    const sources = JSON.parse(readFileSync(join(s.conf, 'sources.conf'), 'utf8')) as { servers: Record<string, unknown>[] }
    sources.servers = sources.servers.slice(0, 1).map((x) => ({ ...x, port }))
    writeFileSync(join(s.conf, 'sources.conf'), JSON.stringify(sources))
    const started = Date.now()
    const r = await runCli(['run', '--config-dir', s.conf])
    expect(r.code, r.stderr).toBe(1)
    const waits = [...r.stderr.matchAll(/listing failed, retry in (\d+) ms/g)].map((m) => Number(m[1]))
    expect(waits.length).toBe(2)
    for (const w of waits) expect(w).toBeLessThanOrEqual(1000)
    expect(r.stderr).toContain('server unreachable after 3 attempt(s)')
    expect(Date.now() - started).toBeLessThan(30_000)
  })

  it('--no-incoming: a file left copied in incoming/ by an earlier run is not resumed; without it, it is finished', async () => {
    const s = setup('noinc')
    const content = text(800, 'left')
    const gz = tool('gzip', content)
    const incoming = join(s.data, 'incoming', 'srv1')
    mkdirSync(incoming, { recursive: true })
    writeFileSync(join(incoming, 'left.log.gz'), gz)
    // The row an earlier run killed after its copy wrote (the remote file is gone since).
    const st = CollectState.open(s.state)
    st.set('copied', { server: 'srv1', remotePath: join(remoteRoot, 'noinc', 'srv1', 'left.log.gz'), name: 'left.log.gz', size: gz.length, mtimeMs: Date.now() - 3600_000, sha256: createHash('sha256').update(gz).digest('hex'), extractedName: 'left.log', copyRetries: 0, extractRetries: 0 })
    st.close()
    mkdirSync(join(remoteRoot, 'noinc', 'srv1'), { recursive: true })
    chownRemote()
    const skip = await runCli(['run', '--no-incoming', '--config-dir', s.conf, '--json'])
    expect(skip.code, skip.stderr).toBe(0)
    expect(JSON.parse(skip.stdout)).toMatchObject({ extracted: 0, processed: 0 })
    expect(filesIn(incoming)).toEqual(['left.log.gz'])
    expect(filesIn(join(s.data, 'extracted', 'srv1'))).toEqual([])
    const status = await runCli(['status', '--json', '--config-dir', s.conf])
    expect(JSON.parse(status.stdout).find((x: { server: string }) => x.server === 'srv1').counts.copied).toBe(1)
    const resume = await runCli(['run', '--config-dir', s.conf, '--json'])
    expect(resume.code, resume.stderr).toBe(0)
    expect(JSON.parse(resume.stdout)).toMatchObject({ extracted: 1, processed: 1 })
    expect(readFileSync(join(s.data, 'extracted', 'srv1', 'left.log')).equals(content)).toBe(true)
    expect(filesIn(incoming)).toEqual([])
  })

  it('--interval: a daemon runs a pass every N seconds (a new file is picked up), serves /metrics (--metrics-port), stops cleanly on SIGTERM with its state intact', async () => {
    const s = setup('interval')
    const first = text(300, 'i1')
    remoteFile('interval/srv2', 'a.log.gz', tool('gzip', first))
    const child = spawn(process.execPath, [CLI, 'collect', 'run', '--interval', '1', '--json', '--quiet', '--metrics-port', '0', '--config-dir', s.conf], { stdio: ['ignore', 'pipe', 'pipe'] })
    const passes: Record<string, number>[] = []
    let stderr = ''
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    let buf = ''
    const waitPasses = (n: number): Promise<void> =>
      new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error(`only ${passes.length} pass(es) in 30 s: ${stderr}`)), 30_000)
        const check = (): void => {
          if (passes.length >= n) {
            clearTimeout(t)
            child.stdout.off('data', onData)
            res()
          }
        }
        const onData = (b: Buffer): void => {
          buf += b.toString()
          let nl: number
          while ((nl = buf.indexOf('\n')) >= 0) {
            passes.push(JSON.parse(buf.slice(0, nl)) as Record<string, number>)
            buf = buf.slice(nl + 1)
          }
          check()
        }
        child.stdout.on('data', onData)
        check()
      })
    await waitPasses(1)
    expect(passes[0]).toMatchObject({ extracted: 1 })
    // The daemon's /metrics port (loopback; port 0: the one it got is on stderr).
    const url = /metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(stderr)?.[1] as string
    expect(url, stderr).toBeDefined()
    const scrape = await fetch(url)
    expect(scrape.status).toBe(200)
    expect(scrape.headers.get('content-type')).toContain('text/plain')
    const body = await scrape.text()
    expect(body).toContain('logferry_collect_files{server="srv2",state="processed"} 1')
    expect(body).toMatch(/logferry_collect_last_pass_duration_seconds \d/)
    expect((await fetch(url.replace('/metrics', '/other'))).status).toBe(404)
    const second = text(300, 'i2')
    remoteFile('interval/srv2', 'b.log.gz', tool('gzip', second))
    const n = passes.length
    await waitPasses(n + 2)
    expect(passes.slice(n).reduce((a, p) => a + (p.extracted as number), 0)).toBe(1)
    expect(passes[passes.length - 1]).toMatchObject({ extracted: 0, skippedDone: 2 })
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })))
    child.kill('SIGTERM')
    const e = await exited
    expect(e, stderr).toEqual({ code: 0, signal: null })
    // The port is closed with the daemon.
    await expect(fetch(url)).rejects.toThrow()
    const noDaemon = await runCli(['run', '--metrics-port', '9', '--config-dir', s.conf])
    expect(noDaemon.code).toBe(2)
    expect(noDaemon.stderr).toContain('--metrics-port needs run --interval')
    expect(readFileSync(join(s.data, 'extracted', 'srv2', 'a.log')).equals(first)).toBe(true)
    expect(readFileSync(join(s.data, 'extracted', 'srv2', 'b.log')).equals(second)).toBe(true)
    // The store was closed properly: the next run opens it, and everything is done.
    const again = await runCli(['run', '--config-dir', s.conf, '--json'])
    expect(again.code, again.stderr).toBe(0)
    expect(JSON.parse(again.stdout)).toMatchObject({ skippedDone: 2, copied: 0, extracted: 0 })
  })

  it('a progress bar on a TTY (files, bytes, rate), none with --json or without a TTY', async () => {
    const s = setup('progress')
    for (let i = 0; i < 4; i++) remoteFile('progress/srv3', `p${i}.log.gz`, tool('gzip', text(400, `p${i}`)))
    // A real pseudo-terminal: util-linux's script runs the CLI with stdin/stdout/stderr on a pty (200 columns).
    const onTty = (extra: string[]): string =>
      execFileSync('script', ['-qefc', 'stty cols 200; ' + [process.execPath, CLI, 'collect', 'run', '--config-dir', s.conf, ...extra].map((a) => `'${a}'`).join(' '), '/dev/null'], { encoding: 'utf8' })
    const tty = onTty([])
    expect(tty).toMatch(/\r\[#{24}\] 100% {2}4\/4 files {2}\S+ \S+\/\S+ \S+ {2}\S+/)
    expect(tty).toContain('listed 4, copied 4, extracted 4')
    // Info lines are in the log file, not under the bar.
    expect(tty).not.toContain('File collected successfully')
    remoteFile('progress/srv3', 'p9.log.gz', tool('gzip', text(400, 'p9')))
    const json = onTty(['--json'])
    expect(json).not.toContain('files  ')
    expect(json).not.toContain('\r[')
    remoteFile('progress/srv3', 'p10.log.gz', tool('gzip', text(400, 'p10')))
    const piped = await runCli(['run', '--config-dir', s.conf])
    expect(piped.stderr).not.toContain('\r[')
    expect(piped.stderr).toContain('File collected successfully')
  })

  it('compress_extracted "zstd": extracted files stored as <name>.zst (zstd -dc gives the content), nothing left in tmp', async () => {
    const s = setup('zst')
    writeFileSync(join(s.conf, 'pipeline.conf'), JSON.stringify({ settle_seconds: 0, compress_extracted: 'zstd', zstd_level: 5 }))
    const a = text(2000, 'za')
    const b = text(1500, 'zb')
    remoteFile('zst/srv1', 'a.log.gz', tool('gzip', a))
    remoteFile('zst/srv1', 'b.log.xz', tool('xz', b))
    const r = await runCli(['run', '--config-dir', s.conf, '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ extracted: 2, processed: 2 })
    expect(filesIn(join(s.data, 'extracted', 'srv1'))).toEqual(['a.log.zst', 'b.log.zst'])
    expect(execFileSync('zstd', ['-dc', join(s.data, 'extracted', 'srv1', 'a.log.zst')], { maxBuffer: 1 << 26 }).equals(a)).toBe(true)
    expect(execFileSync('zstd', ['-dc', join(s.data, 'extracted', 'srv1', 'b.log.zst')], { maxBuffer: 1 << 26 }).equals(b)).toBe(true)
    expect(readdirSync(join(s.data, 'tmp'))).toEqual([])
    writeFileSync(join(s.conf, 'pipeline.conf'), JSON.stringify({ compress_extracted: 'gzip' }))
    const bad = await runCli(['status', '--config-dir', s.conf])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('compress_extracted')
  })

  it('bad config: exit status 2 and a message naming the file, key and problem', async () => {
    const s = setup('badconf')
    const sources = JSON.parse(readFileSync(join(s.conf, 'sources.conf'), 'utf8')) as { servers: Record<string, unknown>[] }
    ;(sources.servers[1] as Record<string, unknown>).remote_pth = '/x/*.gz'
    writeFileSync(join(s.conf, 'sources.conf'), JSON.stringify(sources))
    const r = await runCli(['run', '--config-dir', s.conf])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(join(s.conf, 'sources.conf'))
    expect(r.stderr).toContain("servers[1].remote_pth")
    expect(r.stderr).toContain("did you mean 'servers[1].remote_path'")

    const s2 = setup('badenv', { extraEnv: 'MAX_RETRY_COPY=many' })
    const r2 = await runCli(['run', '--config-dir', s2.conf])
    expect(r2.code).toBe(2)
    expect(r2.stderr).toMatch(/\.env: MAX_RETRY_COPY: must be an integer/)
    const s3 = setup('badpipe')
    writeFileSync(join(s3.conf, 'pipeline.conf'), '{"settle_seconds": -1}')
    const r3 = await runCli(['status', '--config-dir', s3.conf])
    expect(r3.code).toBe(2)
    expect(r3.stderr).toMatch(/pipeline\.conf: settle_seconds: must be an integer >= 0, got -1/)
    writeFileSync(join(s3.conf, 'pipeline.conf'), '{"formats": ["gzip", "rar"]}')
    const r5 = await runCli(['run', '--config-dir', s3.conf])
    expect(r5.code).toBe(2)
    expect(r5.stderr).toMatch(/pipeline\.conf: formats\[1\]/)
    const r4 = await runCli(['fetch', 'srv1'])
    expect(r4.code).toBe(2)
    expect(r4.stderr).toContain("'fetch' takes 2 argument(s), got 1")
  })
})
