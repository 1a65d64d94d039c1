/** 'scp': OpenSSH scp from local files to an SFTP/SSH target, published through the storage layer. */
import { DEFAULT_TOOL_TIMEOUT_MS, publishViaTemp } from './cli-copy.js'
import { absPath, type Endpoint } from './endpoint.js'
import { CommandError } from './errors.js'
import { perFile, type TransferMethodImpl } from './method.js'
import type { ResolvedOptions } from './options.js'
import { runCommand } from './run-command.js'
import { findScp } from './tools.js'

/** scp -l is Kbit/s; each of `parallel` copies running at once gets its share of the total. */
export function scpLimitKbit(bytesPerSecond: number, parallel: number): number {
  return Math.max(1, Math.floor((bytesPerSecond * 8) / 1000 / parallel))
}

function scpArgs(o: ResolvedOptions, t: Extract<Endpoint, { kind: 'ssh' }>, parallel: number): string[] {
  const args = ['-B', '-P', String(t.port), '-o', 'BatchMode=yes', '-o', `StrictHostKeyChecking=${o.scp.strictHostKeyChecking ?? 'yes'}`, '-o', 'ConnectTimeout=20']
  if (o.scp.knownHostsFile) args.push('-o', `UserKnownHostsFile=${o.scp.knownHostsFile}`)
  if (t.privateKeyPath) args.push('-i', t.privateKeyPath, '-o', 'IdentitiesOnly=yes')
  if (o.bandwidth !== undefined) args.push('-l', String(scpLimitKbit(o.bandwidth, parallel)))
  return args
}

export const scpMethod: TransferMethodImpl = {
  name: 'scp',
  inapplicable: (o) => {
    const s = o.sourceEndpoint
    const t = o.targetEndpoint
    if (s.kind !== 'local') return `scp copies local files (source is ${s.kind === 'other' ? s.protocol : s.kind})`
    if (t.kind !== 'ssh') return t.kind === 'other' ? `scp: ${t.why}` : `scp writes to SSH/SFTP targets (target is ${t.kind})`
    if (o.compress) return 'scp does not compress'
    return undefined
  },
  prepare: (o) => void findScp(o.scp.bin),
  run: (files, ctx) => {
    const { o } = ctx
    const bin = findScp(o.scp.bin)
    const s = o.sourceEndpoint
    const t = o.targetEndpoint
    if (s.kind !== 'local' || t.kind !== 'ssh') throw new Error('scp: endpoints not applicable')
    const base = scpArgs(o, t, Math.max(1, Math.min(o.concurrency, files.length)))
    const host = `${t.username ? `${t.username}@` : ''}${t.host.includes(':') ? `[${t.host}]` : t.host}`
    return perFile(files, ctx, (f) =>
      publishViaTemp(o, f.source, f.target, f.size, async (tmp) => {
        const args = [...base, '--', absPath(s.root, f.source), `${host}:${absPath(t.root, tmp)}`]
        try {
          await runCommand(bin, args, { signal: o.signal, timeoutMs: o.scp.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS })
        } catch (err) {
          // ssh exits 255 when the connection itself failed (refused, reset, timed out).
          if (err instanceof CommandError && err.exitCode === 255 && !/Host key verification failed|Permission denied|IDENTIFICATION HAS CHANGED/i.test(err.stderr)) {
            throw new CommandError(err.message, { command: err.command, exitCode: 255, stderr: err.stderr, transient: true, cause: err })
          }
          throw err
        }
      }),
    )
  },
}
