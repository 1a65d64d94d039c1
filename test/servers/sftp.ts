/**
 * SFTP: OpenSSH sshd (Debian openssh-server) on 127.0.0.1 with its own config, a generated host
 * key and user key, and an unprivileged user so permission errors are real. Needs root.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, portOpen, spawnManaged, waitFor } from './process.js'
import type { SftpServer } from './types.js'

export const SFTP_USER = 'logferry-sftp'
const PASSWORD_FILE = join(tmpdir(), 'logferry-sftp-password')

export interface StartedSftp extends SftpServer {
  stop(): Promise<void>
  kill(): Promise<void>
}

/**
 * Creates the test account if missing and gives it this machine's test password, under one lock:
 * vitest starts sshds from several files at once, and a fresh password per start locked out the
 * password logins of the others (seen as "Permission denied (publickey,password)" in collect and
 * serve tests). Every start shares the one password, kept in a root-only file.
 */
function ensureUser(): { uid: number; gid: number; password: string } {
  const script = [
    'set -e',
    `id -u ${SFTP_USER} >/dev/null 2>&1 || useradd --create-home --shell /bin/sh ${SFTP_USER}`,
    `f=${PASSWORD_FILE}`,
    'if [ ! -s "$f" ]; then umask 077; head -c 18 /dev/urandom | base64 | tr -d "/+=\n" > "$f.tmp"; mv "$f.tmp" "$f"; fi',
    `printf '%s:%s\n' ${SFTP_USER} "$(cat "$f")" | chpasswd`,
  ].join('\n')
  execFileSync('flock', [`${PASSWORD_FILE}.lock`, 'sh', '-c', script], { stdio: ['ignore', 'ignore', 'inherit'] })
  const password = readFileSync(PASSWORD_FILE, 'utf8').trim()
  const uid = Number(execFileSync('id', ['-u', SFTP_USER]).toString().trim())
  const gid = Number(execFileSync('id', ['-g', SFTP_USER]).toString().trim())
  return { uid, gid, password }
}

export interface SftpStartOptions {
  port?: number
  /** Reuse this server directory (keys, data) for a restart. */
  dir?: string
  /**
   * The ssh sessions' PATH has rsync (default true, the remote side of an rsync sync). false:
   * PATH is an empty directory, so `rsync --server` is not found, as on a host without rsync.
   */
  remoteRsync?: boolean
}

export async function startSftp(opts: SftpStartOptions = {}): Promise<StartedSftp> {
  const sshd = '/usr/sbin/sshd'
  if (!existsSync(sshd)) throw new Error('sshd not installed: run test/servers/install.sh')
  if (process.getuid?.() !== 0) throw new Error('the SFTP test server needs root (it creates a test user)')
  const { uid, gid, password } = ensureUser()
  const ownDir = opts.dir === undefined
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'logferry-sshd-'))
  chmodSync(dir, 0o755)
  const hostKey = join(dir, 'host_ed25519')
  const userKey = join(dir, 'user_ed25519')
  const dataDir = join(dir, 'data')
  if (!existsSync(hostKey)) {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey])
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', userKey])
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${userKey}.pub`))
    chmodSync(join(dir, 'authorized_keys'), 0o644)
    mkdirSync(dataDir)
    chownSync(dataDir, uid, gid)
  }
  const port = opts.port ?? (await freePort())
  const config = join(dir, 'sshd_config')
  const noRsyncBin = join(dir, 'empty-bin')
  if (opts.remoteRsync === false) mkdirSync(noRsyncBin, { recursive: true })
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'UsePAM no',
      'PubkeyAuthentication yes',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin no',
      `AllowUsers ${SFTP_USER}`,
      'Subsystem sftp internal-sftp',
      'MaxSessions 32',
      'MaxStartups 64',
      'LogLevel ERROR',
      ...(opts.remoteRsync === false ? [`SetEnv PATH=${noRsyncBin}`] : []),
      '',
    ].join('\n'),
  )
  mkdirSync('/run/sshd', { recursive: true })
  const fp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKey}.pub`]).toString().split(' ')[1] ?? ''
  const proc = spawnManaged('sshd', sshd, ['-D', '-e', '-f', config])
  try {
    await waitFor('sshd', () => portOpen(port), 30_000, proc.exited)
  } catch (err) {
    await proc.stop()
    throw new Error(`${(err as Error).message}; log: ${proc.logFile}`)
  }
  return {
    host: '127.0.0.1',
    port,
    username: SFTP_USER,
    password,
    privateKeyPath: userKey,
    hostFingerprint: fp,
    dataDir,
    stop: async () => {
      await proc.stop()
      if (ownDir) rmSync(dir, { recursive: true, force: true })
    },
    kill: () => proc.kill(),
  }
}
