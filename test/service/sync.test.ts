// Sync of the logs service for real: rsync over the test OpenSSH sshd (127.0.0.1), categorised by hard links.
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogsService, type CreateLogsServiceOptions } from '../../ts/service/logs-service.js'
import type { LogsService, SyncResult } from '../../ts/service/types.js'
import { descendants } from '../servers/process.js'
import { startSftp, type StartedSftp } from '../servers/sftp.js'

const work = mkdtempSync(join(tmpdir(), 'lf-serve-sync-'))
let sshd: StartedSftp
let remote: string
const running: LogsService[] = []

function put(rel: string, content: string): void {
  const p = join(remote, rel)
  mkdirSync(join(p, '..'), { recursive: true })
  writeFileSync(p, content)
}

function rsyncSource(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'cluster', kind: 'rsync', host: sshd.host, port: sshd.port, user: sshd.username, identityFile: sshd.privateKeyPath, remotePath: `${remote}/`, ...extra }
}

async function service(o: CreateLogsServiceOptions): Promise<LogsService> {
  const svc = await createLogsService({ cwd: work, env: {}, ignoreEnvFiles: true, http: false, syncInterval: 0, retries: 2, retryDelay: 50, logLevel: 'warn', dataDir: mkdtempSync(join(work, 'data-')), ...o })
  running.push(svc)
  await svc.start()
  return svc
}

/** The sync the service started with (a trigger joins it). */
async function firstSync(svc: LogsService): Promise<SyncResult> {
  const t = svc.core.triggerSync()
  expect(t.joined).toBe(true)
  return t.done
}

async function sync(svc: LogsService): Promise<SyncResult> {
  const t = svc.core.triggerSync()
  expect(t.joined).toBe(false)
  return t.done
}

beforeAll(async () => {
  sshd = await startSftp()
  remote = join(sshd.dataDir, 'ai-factory-benchmarks', 'logs')
  mkdirSync(remote, { recursive: true })
})
afterAll(async () => {
  for (const s of running) await s.stop()
  await sshd?.stop()
  rmSync(work, { recursive: true, force: true })
})

describe('rsync source over ssh (key auth)', () => {
  let svc: LogsService
  const cat = (p: string): string => join(svc.core.categorizedDir, p)
  const mirror = (p: string): string => join(svc.core.logsDir, 'cluster', p)

  it('first sync: every file mirrored, categorised as hard links, status per source', async () => {
    put('server-0.log', 'server up\n')
    put('jobs/slurm-job-1.out', 'job output\n')
    put('jobs/job_2.err', 'oops\n')
    put('client-1.log', 'c\n')
    svc = await service({ sources: [rsyncSource()] as never })
    const r = await firstSync(svc)
    expect(r.outcome).toBe('ok')
    expect(r.trigger).toBe('start')
    expect(r.sources[0]).toMatchObject({ name: 'cluster', method: 'rsync', outcome: 'ok', filesTransferred: 4, bytesTransferred: 10 + 11 + 5 + 2 })
    expect(r.filesCategorized).toBe(4)
    expect(readFileSync(mirror('jobs/slurm-job-1.out'), 'utf8')).toBe('job output\n')
    expect(statSync(cat('server/cluster/jobs/slurm-job-1.out')).ino).toBe(statSync(mirror('jobs/slurm-job-1.out')).ino)
    expect(statSync(cat('slurm/cluster/jobs/job_2.err')).ino).toBe(statSync(mirror('jobs/job_2.err')).ino)
    const st = svc.core.status()
    expect(st.syncing).toBeNull()
    expect(st.syncCount).toBe(1)
    expect(st.sources[0]).toMatchObject({ name: 'cluster', kind: 'rsync', method: 'rsync', lastOutcome: 'ok', filesTransferred: 4, syncCount: 1, failureCount: 0 })
    expect(st.sources[0]?.lastSyncDurationMs).toBeGreaterThanOrEqual(0)
    const counts = Object.fromEntries(svc.core.categories().map((c) => [c.name, c.files]))
    expect(counts).toMatchObject({ server: 2, client: 1, slurm: 1, uncategorized: 0 })
  })

  it('incremental: only the changed files come (rsync itemised output), and only they are re-linked', async () => {
    expect((await sync(svc)).filesTransferred).toBe(0)
    appendFileSync(join(remote, 'server-0.log'), 'more\n')
    put('vllm-worker.log', 'tokens\n')
    const r = await sync(svc)
    expect(r.sources[0]?.filesTransferred).toBe(2)
    expect(r.bytesTransferred).toBe('server up\nmore\n'.length + 'tokens\n'.length)
    expect(r.filesCategorized).toBe(2)
    expect(readFileSync(cat('server/cluster/server-0.log'), 'utf8')).toBe('server up\nmore\n')
    expect(statSync(cat('server/cluster/server-0.log')).ino).toBe(statSync(mirror('server-0.log')).ino)
    expect(svc.core.files({ service: 'vllm' }).files.map((f) => f.path)).toEqual(['categorized/vllm/cluster/vllm-worker.log'])
  })

  it('rotated files: the rotated name and the new file both come; nothing already fetched is lost', async () => {
    renameSync(join(remote, 'client-1.log'), join(remote, 'client-1.log.1'))
    put('client-1.log', 'fresh\n')
    const r = await sync(svc)
    expect(r.sources[0]?.filesTransferred).toBe(2)
    expect(readFileSync(cat('client/cluster/client-1.log.1'), 'utf8')).toBe('c\n')
    expect(readFileSync(cat('client/cluster/client-1.log'), 'utf8')).toBe('fresh\n')
    // A rotated-away file stays in the mirror (no --delete).
    rmSync(join(remote, 'client-1.log.1'))
    await sync(svc)
    expect(existsSync(mirror('client-1.log.1'))).toBe(true)
  })

  it('a trigger while a sync runs joins it (same id, same result)', async () => {
    const a = svc.core.triggerSync()
    const b = svc.core.triggerSync()
    expect(a.joined).toBe(false)
    expect(b.joined).toBe(true)
    expect(b.id).toBe(a.id)
    expect(svc.core.status().syncing).toBe(a.id)
    expect(await b.done).toBe(await a.done)
    expect(svc.core.status().syncing).toBeNull()
  })

  it('sshd down: the sync fails after its retries and status says why; after the restart the next sync recovers', async () => {
    const dir = join(sshd.dataDir, '..')
    const port = sshd.port
    await sshd.kill()
    put('monitor-gpu.log', 'written while the link was down\n')
    const failed = await sync(svc)
    expect(failed.outcome).toBe('failed')
    expect(failed.sources[0]?.attempts).toBe(3)
    expect(failed.sources[0]?.error?.code).toBe('ERR_COMMAND_FAILED')
    expect(failed.sources[0]?.error?.message).toMatch(/Connection refused/)
    const st = svc.core.status().sources[0]
    expect(st).toMatchObject({ lastOutcome: 'failed', failureCount: 1 })
    expect(st?.lastError?.message).toMatch(/Connection refused/)
    sshd = await startSftp({ dir, port })
    const ok = await sync(svc)
    expect(ok.outcome).toBe('ok')
    expect(ok.sources[0]?.filesTransferred).toBe(1)
    expect(readFileSync(cat('monitoring/cluster/monitor-gpu.log'), 'utf8')).toBe('written while the link was down\n')
    expect(svc.core.status().sources[0]).toMatchObject({ lastOutcome: 'ok', failureCount: 1 })
    expect(svc.core.status().sources[0]?.lastError).toBeUndefined()
  })
})

describe('other auth, fallback, several sources', () => {
  it('password auth through sshpass (SSH_PASSWORD)', async () => {
    put('benchmark-pw.log', 'pw\n')
    const svc = await service({ sources: [rsyncSource({ identityFile: undefined })] as never, env: { SSH_PASSWORD: sshd.password } })
    const r = await firstSync(svc)
    expect(r.sources[0]).toMatchObject({ method: 'rsync', outcome: 'ok' })
    expect(readFileSync(join(svc.core.categorizedDir, 'client', 'cluster', 'benchmark-pw.log'), 'utf8')).toBe('pw\n')
    await svc.stop()
  })

  it('rsync missing on the remote side: the source syncs over SFTP and status says so', async () => {
    const bare = await startSftp({ remoteRsync: false })
    try {
      const logs = join(bare.dataDir, 'logs')
      mkdirSync(join(logs, 'sub'), { recursive: true })
      writeFileSync(join(logs, 'orchestrator.log'), 'o\n')
      writeFileSync(join(logs, 'sub', 'inference-1.log'), 'i\n')
      const src = { name: 'bare', kind: 'rsync', host: bare.host, port: bare.port, user: bare.username, identityFile: bare.privateKeyPath, remotePath: `${logs}/` }
      const svc = await service({ sources: [src] as never })
      const r = await firstSync(svc)
      expect(r.sources[0]).toMatchObject({ method: 'sftp-fallback', outcome: 'ok', filesTransferred: 2 })
      expect(r.sources[0]?.fallbackReason).toMatch(/rsync is not installed on 127\.0\.0\.1/)
      expect(svc.core.status().sources[0]).toMatchObject({ method: 'sftp-fallback' })
      expect(svc.core.status().sources[0]?.fallbackReason).toMatch(/not installed/)
      expect(readFileSync(join(svc.core.categorizedDir, 'vllm', 'bare', 'sub', 'inference-1.log'), 'utf8')).toBe('i\n')
      // Incremental over SFTP too: unchanged files are skipped.
      writeFileSync(join(logs, 'orchestrator.log'), 'o\nmore\n')
      const again = await sync(svc)
      expect(again.sources[0]?.filesTransferred).toBe(1)
      expect(readFileSync(join(svc.core.categorizedDir, 'server', 'bare', 'orchestrator.log'), 'utf8')).toBe('o\nmore\n')
      await svc.stop()
    } finally {
      await bare.stop()
    }
  })

  it('one unreadable remote file (rsync exit 23): the source fails naming it, the files that came are categorised', async () => {
    put('partial/server-ok.log', 'fine\n')
    put('partial/client-secret.log', 'no\n')
    chmodSync(join(remote, 'partial', 'client-secret.log'), 0o000)
    try {
      const svc = await service({ sources: [rsyncSource({ name: 'part', remotePath: `${remote}/partial/` })] as never })
      const r = await firstSync(svc)
      expect(r.sources[0]).toMatchObject({ method: 'rsync', outcome: 'failed', filesTransferred: 1, attempts: 1 })
      expect(r.sources[0]?.error?.message).toMatch(/client-secret\.log.*Permission denied|Permission denied.*client-secret\.log/s)
      expect(r.sources[0]?.error?.message).toMatch(/exit 23/)
      expect(readFileSync(join(svc.core.categorizedDir, 'server', 'part', 'server-ok.log'), 'utf8')).toBe('fine\n')
      expect(svc.core.status().sources[0]).toMatchObject({ lastOutcome: 'failed', failureCount: 1 })
      await svc.stop()
    } finally {
      rmSync(join(remote, 'partial'), { recursive: true })
    }
  })

  it('a storage source (sftp:// URL through the storage layer): only new or changed files are copied', async () => {
    put('storage-src/orchestrator-1.log', 'a\n')
    const url = `sftp://${sshd.username}@${sshd.host}:${sshd.port}${remote}/storage-src?privateKeyPath=${encodeURIComponent(sshd.privateKeyPath)}`
    const svc = await service({ sources: [{ name: 'viasftp', kind: 'storage', url }] as never })
    const r = await firstSync(svc)
    expect(r.sources[0]).toMatchObject({ method: 'storage', outcome: 'ok', filesTransferred: 1 })
    expect(readFileSync(join(svc.core.categorizedDir, 'server', 'viasftp', 'orchestrator-1.log'), 'utf8')).toBe('a\n')
    expect((await sync(svc)).filesTransferred).toBe(0)
    put('storage-src/grafana.log', 'g\n')
    const again = await sync(svc)
    expect(again.filesTransferred).toBe(1)
    expect(svc.core.files({ service: 'monitoring' }).files.map((f) => f.source)).toEqual(['viasftp'])
    await svc.stop()
    rmSync(join(remote, 'storage-src'), { recursive: true })
  })

  it('every source kind keeps the source mtime in the mirror (as rsync -a does); an unchanged file is not copied again', async () => {
    const when = new Date('2021-03-04T05:06:07.250Z')
    put('mtimes/server-old.log', 'old\n')
    utimesSync(join(remote, 'mtimes', 'server-old.log'), when, when)
    const local = mkdtempSync(join(work, 'local-mtime-'))
    writeFileSync(join(local, 'server-old.log'), 'old\n')
    utimesSync(join(local, 'server-old.log'), when, when)
    const url = `sftp://${sshd.username}@${sshd.host}:${sshd.port}${remote}/mtimes?privateKeyPath=${encodeURIComponent(sshd.privateKeyPath)}`
    const svc = await service({ sources: [rsyncSource({ name: 'rs', remotePath: `${remote}/mtimes/` }), { name: 'st', kind: 'storage', url }, { name: 'lo', kind: 'local', path: local }] as never })
    const r = await firstSync(svc)
    expect(r.sources.map((s) => [s.name, s.outcome, s.filesTransferred])).toEqual([
      ['rs', 'ok', 1],
      ['st', 'ok', 1],
      ['lo', 'ok', 1],
    ])
    for (const [name, resolution] of [['rs', 1], ['st', 1000], ['lo', 1]] as const) {
      // SFTP carries whole seconds; rsync and the local filesystem keep the milliseconds.
      const m = statSync(join(svc.core.logsDir, name, 'server-old.log')).mtimeMs
      expect(Math.floor(m / resolution), name).toBe(Math.floor(when.getTime() / resolution))
      const listed = svc.core.files({ service: 'server' }).files.find((f) => f.source === name)
      expect(listed?.mtimeMs, name).toBe(m)
    }
    const again = await sync(svc)
    expect(again.sources.map((s) => [s.name, s.filesTransferred])).toEqual([
      ['rs', 0],
      ['st', 0],
      ['lo', 0],
    ])
    await svc.stop()
    rmSync(join(remote, 'mtimes'), { recursive: true })
  })

  it('several sources at once, each under logs/<name>/ and categorized/<category>/<name>/', async () => {
    const local = mkdtempSync(join(work, 'local-'))
    writeFileSync(join(local, 'grafana.log'), 'g\n')
    writeFileSync(join(local, 'server-9.log'), 's\n')
    const svc = await service({ sources: [rsyncSource(), { name: 'box', kind: 'local', path: local }] as never })
    const r = await firstSync(svc)
    expect(r.sources.map((s) => [s.name, s.method, s.outcome])).toEqual([
      ['cluster', 'rsync', 'ok'],
      ['box', 'local', 'ok'],
    ])
    expect(readFileSync(join(svc.core.logsDir, 'box', 'grafana.log'), 'utf8')).toBe('g\n')
    expect(existsSync(join(svc.core.categorizedDir, 'monitoring', 'box', 'grafana.log'))).toBe(true)
    expect(existsSync(join(svc.core.categorizedDir, 'server', 'cluster', 'server-0.log'))).toBe(true)
    const servers = svc.core.files({ service: 'server' }).files.map((f) => `${f.source}:${f.sourcePath}`)
    expect(servers).toContain('box:server-9.log')
    expect(servers).toContain('cluster:server-0.log')
    await svc.stop()
  })

  it('stop during a sync: waits up to stopTimeout, then aborts it (reported aborted, no partial file in the mirror)', async () => {
    put('big/vllm-huge.log', 'x'.repeat(64 << 20))
    const svc = await service({ sources: [rsyncSource({ name: 'slow' })] as never, stopTimeout: 100, syncOnStart: false })
    const sshdPid = Number(readFileSync(join(sshd.dataDir, '..', 'sshd.pid'), 'utf8'))
    const t = svc.core.triggerSync()
    // Freeze the remote side as soon as its session runs: the sync can then only end by the abort.
    let frozen: number[] = []
    const deadline = Date.now() + 20_000
    while (frozen.length === 0 && Date.now() < deadline) {
      frozen = descendants(sshdPid)
      if (frozen.length === 0) await new Promise((r) => setTimeout(r, 2))
    }
    for (const p of frozen) process.kill(p, 'SIGSTOP')
    try {
      const t0 = Date.now()
      await svc.stop()
      expect(Date.now() - t0).toBeLessThan(10_000)
      const r = await t.done
      expect(r.outcome).toBe('aborted')
      expect(r.sources[0]?.error?.code).toBe('ABORT_ERR')
      expect(existsSync(join(svc.core.logsDir, 'slow', 'big', 'vllm-huge.log'))).toBe(false)
    } finally {
      for (const p of frozen) {
        try {
          process.kill(p, 'SIGCONT')
        } catch {
          // gone
        }
      }
      rmSync(join(remote, 'big'), { recursive: true })
    }
  })
})
