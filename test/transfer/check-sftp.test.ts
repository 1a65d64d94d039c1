/**
 * checkTransfer to an SSH/SFTP target on the real OpenSSH sshd: with the right key the target
 * answers through the storage layer and both storage and scp can copy; with nothing listening
 * on the SSH port or with a key it does not accept the route says why and no method that needs it is offered. Nothing is written.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkTransfer, type TransferCheck } from '../../ts/transfer/index.js'
import { sftpOptions, sftpRoot } from '../servers/filesystems.js'
import { freePort } from '../servers/process.js'
import { startSftp, type StartedSftp } from '../servers/sftp.js'

let server: StartedSftp
const local = mkdtempSync(join(tmpdir(), 'logferry-check-sftp-'))
writeFileSync(join(local, 'a.log'), 'a\n')

beforeAll(async () => {
  server = await startSftp()
}, 120_000)
afterAll(async () => {
  await server?.stop()
  rmSync(local, { recursive: true, force: true })
})

const method = (c: TransferCheck, m: string) => c.methods.find((x) => x.method === m)

describe('checkTransfer to an SFTP target (OpenSSH sshd)', () => {
  it('sshd up: the target answers over SSH, storage and scp can copy, nothing is written', async () => {
    const root = sftpRoot(server, `check-${process.pid}`)
    const c = await checkTransfer({ files: join(local, 'a.log'), target: { protocol: 'sftp', ...sftpOptions(server, root) }, probeTimeoutMs: 20_000 })
    expect(c.ok).toBe(true)
    const target = c.endpoints.find((e) => e.role === 'target')
    expect(target?.kind).toBe('ssh')
    expect(target?.routes[0]).toMatchObject({ via: 'storage', reachable: true })
    expect(target?.routes[0]?.address).toContain(`:${server.port}`)
    expect(method(c, 'storage')?.available).toBe(true)
    expect(method(c, 'scp')?.available).toBe(true)
    expect(readdirSync(root)).toEqual([])
  })

  it('nothing listening on the SSH port: the target route names the refusal, storage and scp are not offered', async () => {
    const port = await freePort()
    const opts = sftpOptions(server, sftpRoot(server, `check-down-${process.pid}`))
    const c = await checkTransfer({ files: join(local, 'a.log'), target: { protocol: 'sftp', ...opts, port }, probeTimeoutMs: 20_000 })
    expect(c.ok).toBe(false)
    const route = c.endpoints.find((e) => e.role === 'target')?.routes[0]
    expect(route).toMatchObject({ reachable: false })
    expect(route?.address).toContain(`:${port}`)
    expect(route?.error?.message).toMatch(/ECONNREFUSED|refused/i)
    for (const m of ['storage', 'scp']) {
      expect(method(c, m)).toMatchObject({ available: false })
      expect(method(c, m)?.reason).toContain('did not answer')
    }
  }, 60_000)

  it('a key sshd does not accept: the route fails with the login refusal', async () => {
    const key = join(local, 'stranger_ed25519')
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key])
    const opts = sftpOptions(server, sftpRoot(server, `check-key-${process.pid}`))
    const c = await checkTransfer({ files: join(local, 'a.log'), target: { protocol: 'sftp', ...opts, privateKeyPath: key }, probeTimeoutMs: 20_000 })
    expect(c.ok).toBe(false)
    const route = c.endpoints.find((e) => e.role === 'target')?.routes[0]
    expect(route?.reachable).toBe(false)
    expect(route?.error?.message).toMatch(/authentication|auth/i)
  }, 60_000)
})
