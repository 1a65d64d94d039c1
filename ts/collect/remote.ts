/**
 * The remote side of `logferry collect`: the SSH target of a server (the rsync runner's, so the
 * listing and the copies share one ControlMaster connection and sshpass -e for passwords) and
 * the listing of the files matching `remote_path` with size and mtime, by one `ssh … find`.
 */
import { posix } from 'node:path'
import { sshArgs, type SshTarget } from '../delivery/rsync.js'
import { CommandError } from '../transfer/errors.js'
import { runCommand } from '../transfer/run-command.js'
import type { CollectConfig, CollectServer } from './config.js'

export interface RemoteFile {
  path: string
  size: number
  mtimeMs: number
}

export function sshTarget(config: CollectConfig, s: CollectServer): SshTarget {
  return {
    host: s.host,
    port: s.port,
    ...(s.user === undefined ? {} : { user: s.user }),
    ...(s.identityFile === undefined ? {} : { identityFile: s.identityFile }),
    ...(config.sshPassword === undefined ? {} : { password: config.sshPassword }),
    knownHostsFile: config.knownHostsFile,
    strictHostKeyChecking: config.strictHostKeyChecking,
    connectTimeout: 10,
  }
}

/** A word for the remote shell (ssh hands the command line to it). */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`
}

/** `remote_path` split into its directory and its file-name glob. */
export function splitRemotePath(remotePath: string): { dir: string; pattern: string } {
  return { dir: posix.dirname(remotePath), pattern: posix.basename(remotePath) }
}

/** ssh exit 255 is ssh's own failure (connection, auth): transient, like rsync's 255. */
async function ssh(t: SshTarget, command: string): Promise<string> {
  const argv = sshArgs(t)
  const host = t.host.includes(':') ? `[${t.host}]` : t.host
  const env = t.password === undefined ? undefined : { SSHPASS: t.password }
  try {
    const r = await runCommand(argv[0] as string, [...argv.slice(1), host, command], { env, timeoutMs: 120_000, maxOutput: 256 * 1024 * 1024, dieWithParent: true })
    return r.stdout
  } catch (err) {
    if (err instanceof CommandError) {
      throw new CommandError(`listing on ${t.host}: ${err.message}`, { command: 'ssh', exitCode: err.exitCode, stderr: err.stderr, transient: err.exitCode === 255 || err.timedOut === true, timedOut: err.timedOut, cause: err })
    }
    throw err
  }
}

/** Regular files of `remote_path`'s directory whose names match its glob (GNU find on the server). */
export async function listRemote(t: SshTarget, remotePath: string): Promise<RemoteFile[]> {
  const { dir, pattern } = splitRemotePath(remotePath)
  // A missing directory lists nothing (find's error is silenced, exit 0 by `|| true` is avoided:
  // an ssh failure must still fail the listing, so test the directory first).
  const cmd = `if [ -d ${shellQuote(dir)} ]; then find ${shellQuote(dir)} -mindepth 1 -maxdepth 1 -type f -name ${shellQuote(pattern)} -printf '%s %T@ %p\\0'; fi`
  return parseListing(await ssh(t, cmd))
}

/** One file's size and mtime (for `collect fetch`); undefined when it is not a regular file. */
export async function statRemote(t: SshTarget, path: string): Promise<RemoteFile | undefined> {
  const cmd = `if [ -f ${shellQuote(path)} ]; then find ${shellQuote(path)} -maxdepth 0 -printf '%s %T@ %p\\0'; fi`
  return parseListing(await ssh(t, cmd))[0]
}

export function parseListing(out: string): RemoteFile[] {
  const files: RemoteFile[] = []
  for (const rec of out.split('\0')) {
    if (rec === '') continue
    const m = /^(\d+) (\d+(?:\.\d+)?) (.+)$/s.exec(rec)
    if (!m) continue
    files.push({ size: Number(m[1]), mtimeMs: Math.floor(Number(m[2]) * 1000), path: m[3] as string })
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}
