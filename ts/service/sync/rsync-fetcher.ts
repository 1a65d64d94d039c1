/**
 * An rsync source: the real rsync over ssh (ts/delivery/rsync.ts), one reused SSH connection;
 * the changed files come from rsync's itemised output. When rsync is missing on either side,
 * the same remote directory is mirrored over SFTP through the storage layer instead, and the
 * result says so (method 'sftp-fallback', fallbackReason).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { closeSshConnection, rsyncFailureItems, type RsyncItem, RsyncUnavailableError, rsyncVersion, runRsync, type SshTarget } from '../../delivery/rsync.js'
import type { RsyncSourceSettings, ServiceLog } from '../types.js'
import type { FetchResult, Fetcher } from './fetcher.js'
import { fetchWithStorage } from './storage-fetcher.js'
import { traceSync } from './sync-trace.js'

export interface RsyncFetcherOptions {
  /** Private (0700) directory of the ControlMaster sockets. */
  controlDir: string
  retries: number
  retryDelay: number
  rsyncTimeout: number
  log: ServiceLog
  /** Local rsync binary (tests: a path without rsync). */
  rsyncPath?: string
  /** Paths retention compressed or deleted: not fetched again. */
  retired?: () => ReadonlySet<string>
}

/** An rsync exclude pattern matching exactly `path` from the transfer root. */
function anchored(path: string): string {
  return `/${path.replace(/[[\]*?\\]/g, (c) => `\\${c}`)}`
}

/** The SHA256 fingerprint of `host`'s key in a known_hosts file (for the SFTP fallback's check). */
function knownFingerprint(file: string, host: string, port: number): string | undefined {
  if (!existsSync(file)) return undefined
  const name = port === 22 ? host : `[${host}]:${port}`
  const r = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-F', name, '-f', file], { encoding: 'utf8' })
  if (r.status !== 0) return undefined
  return /SHA256:[A-Za-z0-9+/=]+/.exec(r.stdout)?.[0]
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0)
  return 0
}

export function createRsyncFetcher(src: RsyncSourceSettings, o: RsyncFetcherOptions): Fetcher {
  mkdirSync(o.controlDir, { recursive: true, mode: 0o700 })
  const version = rsyncVersion(o.rsyncPath)
  if (version !== undefined && compareVersions(version, '3.4.0') < 0) {
    o.log.warn('rsync is older than 3.4.0, which fixed a series of CVEs: upgrade it', { source: src.name, version })
  }
  const ssh: SshTarget = {
    host: src.host,
    port: src.port,
    user: src.user,
    identityFile: src.identityFile,
    password: src.password,
    knownHostsFile: src.knownHostsFile,
    strictHostKeyChecking: src.strictHostKeyChecking,
    controlDir: o.controlDir,
  }
  const remote = src.remotePath.endsWith('/') ? src.remotePath : `${src.remotePath}/`

  const fallback = async (dest: string, signal: AbortSignal, reason: string): Promise<FetchResult> => {
    const fp = src.knownHostsFile ? knownFingerprint(src.knownHostsFile, src.host, src.port) : undefined
    if (fp === undefined && src.strictHostKeyChecking === 'yes') {
      throw Object.assign(new Error(`${reason}; the SFTP fallback needs ${src.host}'s key in ${src.knownHostsFile ?? 'the known_hosts file'} (strictHostKeyChecking: yes)`), { code: 'ERR_HOST_KEY_UNKNOWN' })
    }
    const r = await fetchWithStorage(dest, {
      source: {
        protocol: 'sftp',
        host: src.host,
        port: src.port,
        username: src.user,
        password: src.password,
        privateKeyPath: src.identityFile,
        hostFingerprint: fp,
        root: remote.replace(/^~\//, ''),
      },
      method: 'sftp-fallback',
      excluded: o.retired?.(),
      retries: o.retries,
      retryDelay: o.retryDelay,
      signal,
    })
    return { ...r, fallbackReason: reason }
  }

  return {
    source: src,
    plannedMethod: 'rsync',
    async fetch(dest, signal, onLanded) {
      // A received file is in place once the next one's line comes (RsyncOptions.onItem).
      let received: RsyncItem | undefined
      let items = 0
      const onItem = (i: RsyncItem): void => {
        if (items++ === 0) traceSync(src.name, 'rsync-first-item')
        if (i.type !== 'file' || !i.transferred || !onLanded) return
        if (received) onLanded(received.path, received.size)
        received = i
      }
      const retired = o.retired?.()
      let extraArgs: string[] | undefined
      if (retired !== undefined && retired.size > 0) {
        const file = join(o.controlDir, `exclude-${src.name}`)
        writeFileSync(file, [...retired].map(anchored).join('\n') + '\n', { mode: 0o600 })
        extraArgs = [`--exclude-from=${file}`]
      }
      traceSync(src.name, 'rsync-start')
      try {
        const r = await runRsync({
          extraArgs,
          ssh,
          from: { remote },
          to: `${dest}/`,
          timeout: o.rsyncTimeout,
          retries: o.retries,
          retryDelay: o.retryDelay,
          signal,
          rsyncPath: o.rsyncPath,
          onItem,
          onRetry: (err, attempt, delayMs) => o.log.warn('rsync failed, retrying', { source: src.name, attempt, delayMs, error: (err as Error).message }),
        })
        traceSync(src.name, 'rsync-exit')
        const changed = r.items.filter((i) => i.type === 'file' && (i.transferred || i.deleted)).map((i) => i.path)
        return {
          method: 'rsync',
          changed,
          filesTransferred: r.filesTransferred,
          bytesTransferred: r.bytesTransferred,
          filesDeleted: r.filesDeleted,
          warnings: r.warnings,
          attempts: r.attempts,
        }
      } catch (err) {
        const came = rsyncFailureItems(err).filter((i) => i.type === 'file' && i.transferred)
        if (!(err instanceof RsyncUnavailableError) && came.length > 0) {
          // Failed (e.g. exit 23: one unreadable file), but these files came: categorise them.
          return {
            method: 'rsync',
            changed: came.map((i) => i.path),
            filesTransferred: came.length,
            bytesTransferred: came.reduce((n, i) => n + i.size, 0),
            filesDeleted: 0,
            warnings: [],
            attempts: (err as { attempts?: number }).attempts ?? 1,
            failures: [{ path: remote, error: err }],
          }
        }
        if (!(err instanceof RsyncUnavailableError)) throw err
        o.log.warn('rsync unavailable, syncing over SFTP', { source: src.name, code: err.code, reason: err.message })
        return fallback(dest, signal, err.message)
      }
    },
    close: () => closeSshConnection(ssh),
  }
}
