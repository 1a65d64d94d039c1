// The rsync runner against the real rsync binary over the test OpenSSH sshd (127.0.0.1).
import { execFileSync } from 'node:child_process'
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { classifyRsyncExit, closeSshConnection, parseItemLine, rsyncArgs, RsyncUnavailableError, runRsync, type SshTarget } from '../../ts/delivery/rsync.js'
import { CommandError } from '../../ts/transfer/errors.js'
import { startSftp, type StartedSftp } from '../servers/sftp.js'

const work = mkdtempSync(join(tmpdir(), 'lf-rsync-test-'))
let sshd: StartedSftp
let remoteLogs: string

function remoteWrite(rel: string, content: string): void {
  const p = join(remoteLogs, rel)
  mkdirSync(join(p, '..'), { recursive: true })
  writeFileSync(p, content)
  execFileSync('chown', ['-R', sshd.username, remoteLogs])
}

function target(extra: Partial<SshTarget> = {}): SshTarget {
  const controlDir = mkdtempSync(join(work, 'ctl-'))
  return {
    host: sshd.host,
    port: sshd.port,
    user: sshd.username,
    identityFile: sshd.privateKeyPath,
    knownHostsFile: join(controlDir, 'known_hosts'),
    strictHostKeyChecking: 'accept-new',
    controlDir,
    ...extra,
  }
}

beforeAll(async () => {
  sshd = await startSftp()
  remoteLogs = join(sshd.dataDir, 'logs')
  mkdirSync(remoteLogs)
})
afterAll(async () => {
  await sshd?.stop()
  rmSync(work, { recursive: true, force: true })
})

describe('runRsync', () => {
  it('first sync brings every file; the next one only the changed ones, learnt from the itemised output', async () => {
    remoteWrite('server-1.log', 'a\n')
    remoteWrite('jobs/slurm-7.out', 'b\n')
    remoteWrite('name with spaces.log', 'c\n')
    const dest = mkdtempSync(join(work, 'dest-'))
    const ssh = target()
    const first = await runRsync({ ssh, from: { remote: `${remoteLogs}/` }, to: `${dest}/`, retries: 0 })
    expect(first.exitCode).toBe(0)
    expect(first.filesTransferred).toBe(3)
    expect(first.items.filter((i) => i.transferred).map((i) => i.path).sort()).toEqual(['jobs/slurm-7.out', 'name with spaces.log', 'server-1.log'])
    expect(first.items.every((i) => !i.transferred || i.created)).toBe(true)
    expect(readFileSync(join(dest, 'jobs/slurm-7.out'), 'utf8')).toBe('b\n')
    // The connection is kept for the next run in the private control directory.
    expect(readdirSync(ssh.controlDir as string).some((f) => f !== 'known_hosts')).toBe(true)

    const none = await runRsync({ ssh, from: { remote: `${remoteLogs}/` }, to: `${dest}/`, retries: 0 })
    expect(none.filesTransferred).toBe(0)

    appendFileSync(join(remoteLogs, 'server-1.log'), 'grown\n')
    remoteWrite('client-2.log', 'new\n')
    const second = await runRsync({ ssh, from: { remote: `${remoteLogs}/` }, to: `${dest}/`, retries: 0 })
    const moved = second.items.filter((i) => i.transferred)
    expect(moved.map((i) => i.path).sort()).toEqual(['client-2.log', 'server-1.log'])
    expect(moved.find((i) => i.path === 'server-1.log')?.created).toBe(false)
    expect(second.bytesTransferred).toBe('a\ngrown\n'.length + 'new\n'.length)
    expect(readFileSync(join(dest, 'server-1.log'), 'utf8')).toBe('a\ngrown\n')
    await closeSshConnection(ssh)
  })

  it('password auth goes through sshpass -e: the password is in the environment, never in the argv', async () => {
    const dest = mkdtempSync(join(work, 'dest-'))
    remoteWrite('pw.log', 'pw\n')
    const ssh = target({ identityFile: undefined, password: sshd.password })
    const args = rsyncArgs({ ssh, from: { remote: `${remoteLogs}/` }, to: dest })
    expect(args.join(' ')).not.toContain(sshd.password)
    expect(args.join(' ')).toContain('sshpass -e ssh')
    const r = await runRsync({ ssh, from: { remote: `${remoteLogs}/` }, to: `${dest}/`, retries: 0 })
    expect(r.filesTransferred).toBeGreaterThan(0)
    expect(readFileSync(join(dest, 'pw.log'), 'utf8')).toBe('pw\n')
    await closeSshConnection(ssh)
    const wrong = target({ identityFile: undefined, password: 'not-the-password' })
    const err = await runRsync({ ssh: wrong, from: { remote: `${remoteLogs}/` }, to: `${dest}/`, retries: 2, retryDelay: 10 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CommandError)
    expect((err as CommandError).transient).toBe(false)
    expect((err as { attempts?: number }).attempts).toBe(1)
  })

  it('an unknown host key under StrictHostKeyChecking=yes fails at once (permanent)', async () => {
    const err = await runRsync({ ssh: target({ strictHostKeyChecking: 'yes' }), from: { remote: `${remoteLogs}/` }, to: mkdtempSync(join(work, 'd-')), retries: 3, retryDelay: 10 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CommandError)
    // rsync reports ssh's failure as 255 or as 12 (the stream closed first): either way, permanent.
    expect([12, 255]).toContain((err as CommandError).exitCode)
    expect((err as CommandError).transient).toBe(false)
    expect((err as CommandError).stderr).toMatch(/Host key verification failed/)
    expect((err as { attempts?: number }).attempts).toBe(1)
  })

  it('sshd down: transient (rsync reports ssh failing as 12 or 255), retried; after the restart the same call succeeds', async () => {
    const dir = join(sshd.dataDir, '..')
    const port = sshd.port
    await sshd.kill()
    const ssh = target()
    const retried: number[] = []
    const err = await runRsync({ ssh, from: { remote: `${remoteLogs}/` }, to: mkdtempSync(join(work, 'd-')), retries: 2, retryDelay: 10, onRetry: (_e, n) => retried.push(n) }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CommandError)
    expect([12, 255]).toContain((err as CommandError).exitCode)
    expect((err as CommandError).stderr).toMatch(/Connection refused/)
    expect((err as CommandError).transient).toBe(true)
    expect(retried).toEqual([1, 2])
    sshd = await startSftp({ dir, port })
    const r = await runRsync({ ssh, from: { remote: `${remoteLogs}/` }, to: mkdtempSync(join(work, 'd-')) + '/', retries: 0 })
    expect(r.filesTransferred).toBeGreaterThan(0)
    await closeSshConnection(ssh)
  })

  it('rsync missing on the remote side is reported as such (for a fallback), not retried', async () => {
    const bare = await startSftp({ remoteRsync: false })
    try {
      mkdirSync(join(bare.dataDir, 'logs'))
      const ssh: SshTarget = { ...target(), host: bare.host, port: bare.port, identityFile: bare.privateKeyPath }
      const err = await runRsync({ ssh, from: { remote: `${bare.dataDir}/logs/` }, to: mkdtempSync(join(work, 'd-')), retries: 3, retryDelay: 10 }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(RsyncUnavailableError)
      expect((err as RsyncUnavailableError).code).toBe('ERR_RSYNC_MISSING_REMOTE')
      await closeSshConnection(ssh)
    } finally {
      await bare.stop()
    }
  })

  it('rsync missing locally: ERR_RSYNC_MISSING_LOCAL', async () => {
    const err = await runRsync({ rsyncPath: join(work, 'no-rsync-here'), from: `${work}/`, to: join(work, 'x') }).catch((e: unknown) => e)
    expect((err as RsyncUnavailableError).code).toBe('ERR_RSYNC_MISSING_LOCAL')
    expect(existsSync(join(work, 'x'))).toBe(false)
  })
})

describe('rsync exit codes and output', () => {
  it('classifies errcode.h codes: 10/12/30/35/255 transient, 24 a warning, the rest permanent', () => {
    for (const c of [10, 12, 30, 35, 255]) expect(classifyRsyncExit(c, 'connection reset')).toBe('transient')
    expect(classifyRsyncExit(24, '')).toBe('warning')
    for (const c of [1, 2, 3, 4, 5, 11, 20, 22, 23, 25]) expect(classifyRsyncExit(c, '')).toBe('permanent')
    expect(classifyRsyncExit(255, 'Host key verification failed.')).toBe('permanent')
    expect(classifyRsyncExit(255, 'Permission denied (publickey,password).')).toBe('permanent')
  })

  it('parses itemised lines, unescaping names', () => {
    expect(parseItemLine('LFRSYNC\t>f+++++++++\t1,024\t1,100\ta/b\\#011c.log')).toMatchObject({ path: 'a/b\tc.log', transferred: true, created: true, size: 1024 })
    expect(parseItemLine('LFRSYNC\t.f..t......\t5\t0\tx.log')).toMatchObject({ transferred: false, created: false })
    expect(parseItemLine('LFRSYNC\t*deleting  \t0\t0\told.log')).toMatchObject({ deleted: true, transferred: false })
    expect(parseItemLine('some motd line')).toBeUndefined()
  })

  it('refuses non-option extra arguments (nothing reaches rsync as a path by accident)', () => {
    expect(() => rsyncArgs({ from: '/a/', to: '/b', extraArgs: ['/etc'] })).toThrow(/not an option/)
    expect(rsyncArgs({ from: 'host:odd', to: '/b' })).toContain('./host:odd')
  })
})
