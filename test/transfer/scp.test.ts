/**
 * The 'scp' method for real: OpenSSH scp to the test sshd (key auth, BatchMode, a known_hosts
 * file holding the server's host key), temp name + rename through the storage layer's SFTP
 * backend; host-key refusal is permanent and auto falls back to the storage method; -l limits.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { FileSystem, StorageConfig } from '../../ts/storage/index.js'
import { transferFiles } from '../../ts/transfer/index.js'
import { sftpOptions, sftpRoot } from '../servers/filesystems.js'
import { suiteServers } from '../servers/suite-servers.js'
import { inCI } from '../servers/ci.js'

const servers = await suiteServers(['sftp'])
const sftp = servers.sftp
const skip = !inCI && sftp === undefined

const tmp = mkdtempSync(join(tmpdir(), 'logferry-scp-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const run = `scp-${Date.now().toString(36)}`
let dirs = 0

/** known_hosts with the test server's host key (it sits next to the user key it generated). */
function knownHosts(): string {
  const pub = readFileSync(join(dirname(sftp?.privateKeyPath ?? '/'), 'host_ed25519.pub'), 'utf8').trim().split(' ')
  const file = join(tmp, 'known_hosts')
  writeFileSync(file, `[127.0.0.1]:${sftp?.port} ${pub[0]} ${pub[1]}\n`)
  return file
}

/** A fresh directory the SFTP user owns, as a config (scp needs the address). */
function sftpDir(): { spec: StorageConfig; local: string } {
  const local = sftpRoot(sftp, join(run, String(++dirs)))
  return { local, spec: { protocol: 'sftp', ...sftpOptions(sftp, local) } }
}

function localTree(files: Map<string, Buffer>): string {
  const root = join(tmp, `src-${++dirs}`)
  for (const [rel, data] of files) {
    mkdirSync(dirname(join(root, rel)), { recursive: true })
    writeFileSync(join(root, rel), data)
  }
  return root
}

/** Every file below `dir` on this machine (the sshd's data), temp files included. */
function listAll(dir: string, base = ''): string[] {
  return readdirSync(join(dir, base), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listAll(dir, join(base, e.name)) : [join(base, e.name)],
  )
}

const opened: FileSystem[] = []
afterAll(async () => {
  await Promise.all(opened.map((f) => f.close().catch(() => undefined)))
})

describe.skipIf(skip)('scp method against the test sshd', () => {
  it('copies local files with scp, keeps the structure, leaves no temp files', async () => {
    const files = new Map([
      ['a.log', randomBytes(5000)],
      ['x/b.log', Buffer.from('b\n')],
      ['x/y/c.log', randomBytes(200_000)],
      ['x/y/empty.log', Buffer.alloc(0)],
    ])
    const root = localTree(files)
    const { spec, local } = sftpDir()
    const r = await transferFiles({ source: root, files: '**', target: spec, method: 'scp', scp: { knownHostsFile: knownHosts() }, concurrency: 2 })
    expect(r.totals).toMatchObject({ copied: 4, failed: 0 })
    for (const f of r.files) {
      expect(f).toMatchObject({ outcome: 'copied', method: 'scp', attempts: 1, methodsTried: [] })
      expect(f.checksum).toBe(sha256(files.get(f.source) as Buffer))
    }
    expect(listAll(local).sort()).toEqual([...files.keys()].sort())
    for (const [rel, data] of files) expect(sha256(readFileSync(join(local, rel))), rel).toBe(sha256(data))
    // The SFTP user owns what scp wrote (it logged in as that user).
    expect(statSync(join(local, 'x/y/c.log')).uid).toBe(statSync(sftp?.dataDir ?? '/').uid)
  })

  it('an unknown host key fails scp at once (not retried); auto records it and falls back to storage', async () => {
    const files = new Map([['k.log', randomBytes(1000)]])
    const root = localTree(files)
    const empty = join(tmp, 'empty_known_hosts')
    writeFileSync(empty, '')
    const { spec, local } = sftpDir()
    const strict = await transferFiles({ source: root, files: '*', target: spec, method: 'scp', scp: { knownHostsFile: empty }, retryDelay: 1 })
    expect(strict.files[0]).toMatchObject({ outcome: 'failed', attempts: 1, error: { code: 'ERR_COMMAND_FAILED', transient: false } })
    expect(strict.files[0]?.error?.message).toMatch(/Host key verification failed/)
    expect(listAll(local)).toEqual([])

    const auto = await transferFiles({ source: root, files: '*', target: spec, scp: { knownHostsFile: empty }, retryDelay: 1 })
    const f = auto.files[0]
    expect(f).toMatchObject({ outcome: 'copied', method: 'storage', attempts: 2 })
    expect(f?.methodsTried).toEqual([expect.objectContaining({ method: 'scp', code: 'ERR_COMMAND_FAILED', attempts: 1 })])
    expect(sha256(readFileSync(join(local, 'k.log')))).toBe(sha256(files.get('k.log') as Buffer))
  })

  it('bandwidthLimit becomes scp -l: 1 MiB at 256 KiB/s takes at least 2 s', async () => {
    const data = randomBytes(1 << 20)
    const root = localTree(new Map([['big.bin', data]]))
    const { spec, local } = sftpDir()
    const t0 = performance.now()
    const r = await transferFiles({ source: root, files: 'big.bin', target: spec, method: 'scp', scp: { knownHostsFile: knownHosts() }, bandwidthLimit: '256KiB/s' })
    const seconds = (performance.now() - t0) / 1000
    expect(r.files[0]).toMatchObject({ outcome: 'copied', method: 'scp' })
    expect(sha256(readFileSync(join(local, 'big.bin')))).toBe(sha256(data))
    expect(seconds).toBeGreaterThanOrEqual(2)
  })
})
