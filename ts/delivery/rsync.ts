/**
 * The one rsync runner (logs service sync, `logferry collect`): the real `rsync` binary over ssh,
 * spawned with an argv array (never a shell), one reused SSH connection per host (ControlMaster
 * in a private directory), the changed files learnt from rsync's own itemised output, exit codes
 * classified and transient failures retried through the retry helper.
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StringDecoder } from 'node:string_decoder'
import { CommandError } from '../transfer/errors.js'
import { runCommand } from '../transfer/run-command.js'
import { attempt, DEFAULT_RETRIES, DEFAULT_RETRY_DELAY_MS } from './retry.js'

/** The remote end of an rsync run. */
export interface SshTarget {
  host: string
  port?: number
  user?: string
  /** Private key; `IdentitiesOnly=yes` is set with it. */
  identityFile?: string
  /**
   * Password auth: handed to ssh by `sshpass -e` through the SSHPASS environment variable,
   * never on a command line (visible in `ps`).
   */
  password?: string
  /** known_hosts file ssh reads (and, with accept-new, appends to). Default: ssh's own. */
  knownHostsFile?: string
  /** Default 'yes': the host key must already be known. */
  strictHostKeyChecking?: 'yes' | 'accept-new' | 'no'
  /** Seconds to wait for the TCP connection (default 10). */
  connectTimeout?: number
  /**
   * Directory of the ControlMaster sockets (private: mode 0700). Default: one per process in
   * the temp dir. `null` disables connection reuse.
   */
  controlDir?: string | null
  /** Seconds an idle master connection stays (default 120). */
  controlPersist?: number
  /**
   * ssh's cipher preference (`-o Ciphers=`). Default: AES-GCM first where this CPU has AES
   * instructions (the same ciphers as ssh's default set, only in another order: the server still
   * picks from what it allows); `null` leaves ssh's own choice.
   */
  ciphers?: string | null
}

/**
 * AES-GCM before ssh's default first choice, chacha20-poly1305: with AES instructions it costs a
 * fraction of the CPU per byte (measured on 100 MB over the test sshd: ~100-150 ms less CPU on the
 * two ends together), and the CPU an rsync transfer leaves free is what categorising uses.
 * The full list, not `^...` (OpenSSH 8.x+ only).
 */
export const AES_FIRST_CIPHERS = 'aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr'

let aesInstructions: boolean | undefined

function hasAesInstructions(): boolean {
  if (aesInstructions !== undefined) return aesInstructions
  if (process.platform === 'darwin') return (aesInstructions = true)
  try {
    // x86 "flags ... aes ...", arm64 "Features ... aes ...".
    aesInstructions = process.platform === 'linux' && /^(flags|Features)\s*:.*\baes\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'))
  } catch {
    aesInstructions = false
  }
  return aesInstructions
}

/** A local path, or a path on the SSH target. */
export type RsyncEndpoint = string | { remote: string }

export interface RsyncOptions {
  ssh?: SshTarget
  /** What to copy. A trailing `/` copies a directory's content (rsync's rule). */
  from: RsyncEndpoint | RsyncEndpoint[]
  to: RsyncEndpoint
  /** Transfer flags (default `-rt`: recursive, times; symlinks and devices are skipped, so a link out of the tree never lands). */
  flags?: string[]
  /** Remove from `to` what left `from` (default false: nothing already fetched is lost). */
  delete?: boolean
  /** rsync `--timeout`: seconds of I/O silence before rsync gives up (default 60). */
  timeout?: number
  /** Interrupted files are kept here (relative to the destination) and resumed; default `.rsync-partial`. */
  partialDir?: string
  compress?: boolean
  /** Further rsync options, each starting with `-`. */
  extraArgs?: string[]
  /** Local rsync binary (default `rsync` on PATH). */
  rsyncPath?: string
  /** rsync on the remote side (`--rsync-path`). */
  remoteRsyncPath?: string
  signal?: AbortSignal
  /** Retries of a transient failure (default 3) and the backoff base in ms (default 1000). */
  retries?: number
  retryDelay?: number
  /** Longest single backoff wait in ms (the retry helper's cap by default). */
  retryDelayMax?: number
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void
  /**
   * Sees each itemised line, every attempt's, within ITEM_POLL_MS of rsync printing it (in order). A received file's line comes
   * once its data is in, just before it takes its name: it is in place when the next received
   * file's line, or the end of the run, comes (rsync's receiver takes one file at a time).
   */
  onItem?: (item: RsyncItem) => void
  /** Kill rsync after this many ms (default: no limit; `timeout` already bounds silence). */
  maxDurationMs?: number
}

/** One line of rsync's itemised output. */
export interface RsyncItem {
  /** Relative to the destination, `/`-separated; directories end with `/`. */
  path: string
  /** rsync's 11-character change string (`>f+++++++++`), or `*deleting`. */
  itemize: string
  type: 'file' | 'dir' | 'symlink' | 'other'
  /** Content was sent or received (not only attributes). */
  transferred: boolean
  created: boolean
  deleted: boolean
  /** File length. */
  size: number
  /** Bytes rsync actually moved for it (less than size for a delta). */
  bytes: number
}

export interface RsyncResult {
  items: RsyncItem[]
  /** Regular files whose content came over. */
  filesTransferred: number
  /** Sum of their lengths. */
  bytesTransferred: number
  filesDeleted: number
  /** 0, or 24 (some source files vanished during the run: normal while logs rotate). */
  exitCode: 0 | 24
  warnings: string[]
  attempts: number
  durationMs: number
}

/** What a failed run (CommandError, RsyncUnavailableError) carries: its attempts and the files that did come. */
export function rsyncFailureItems(err: unknown): RsyncItem[] {
  const items = (err as { items?: unknown } | null)?.items
  return Array.isArray(items) ? (items as RsyncItem[]) : []
}

/** Exit codes (rsync's errcode.h) worth another attempt: socket I/O, stream, timeouts, ssh. */
export const RSYNC_TRANSIENT_EXIT_CODES: ReadonlySet<number> = new Set([10, 12, 30, 35, 255])

/** An ssh/rsync answer that no retry heals, whatever the exit code. */
const PERMANENT_STDERR = /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|Permission denied \((publickey|password)|No such file or directory|Too many authentication failures/i

/** rsync is not installed on the remote side (the remote shell says so, rsync exits 12/127). */
const REMOTE_RSYNC_MISSING = /(rsync: (command )?not found|rsync: No such file or directory|exec request failed|command not found: rsync)/i

export type RsyncErrorCode = 'ERR_RSYNC_MISSING_LOCAL' | 'ERR_RSYNC_MISSING_REMOTE' | 'ERR_SSHPASS_MISSING'

/** rsync cannot run at all on a side: the caller may fall back to another method. */
export class RsyncUnavailableError extends Error {
  override readonly name = 'RsyncUnavailableError'
  constructor(
    readonly code: RsyncErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** Transient or not, for one failed rsync run. */
export function classifyRsyncExit(exitCode: number | null, stderr: string): 'transient' | 'warning' | 'permanent' {
  if (exitCode === 24) return 'warning'
  if (exitCode !== null && RSYNC_TRANSIENT_EXIT_CODES.has(exitCode) && !PERMANENT_STDERR.test(stderr) && !REMOTE_RSYNC_MISSING.test(stderr)) return 'transient'
  return 'permanent'
}

let processControlDir: string | undefined

/** The default ControlMaster directory: private (0700), one per process, removed at exit. */
function defaultControlDir(): string {
  if (processControlDir === undefined) {
    // Short on purpose: a unix socket path has at most ~104 bytes.
    processControlDir = mkdtempSync(join(tmpdir(), 'lf-ssh-'))
    const dir = processControlDir
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  }
  return processControlDir
}

function controlDirOf(t: SshTarget): string | undefined {
  if (t.controlDir === null) return undefined
  const dir = t.controlDir ?? defaultControlDir()
  const st = statSync(dir)
  if ((st.mode & 0o077) !== 0) throw new CommandError(`ssh control directory ${dir} is readable by others (mode ${(st.mode & 0o777).toString(8)}); it must be 0700`, { command: 'ssh', exitCode: null, stderr: '', transient: false })
  return dir
}

/** rsync splits `-e` on spaces and honours quotes (not backslashes): quote what needs it. */
function quoteForRsyncE(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg
  if (!arg.includes("'")) return `'${arg}'`
  if (!arg.includes('"')) return `"${arg}"`
  throw new CommandError(`ssh argument ${JSON.stringify(arg)} holds both quote characters: rsync's -e cannot carry it`, { command: 'rsync', exitCode: null, stderr: '', transient: false })
}

/** The ssh argv (without the host) rsync runs for `t`. */
export function sshArgs(t: SshTarget): string[] {
  const args = ['ssh', '-p', String(t.port ?? 22)]
  if (t.user) args.push('-l', t.user)
  // BatchMode forbids any prompt; with a password sshpass answers the one prompt instead.
  args.push('-o', `BatchMode=${t.password === undefined ? 'yes' : 'no'}`)
  args.push('-o', `StrictHostKeyChecking=${t.strictHostKeyChecking ?? 'yes'}`)
  if (t.knownHostsFile) args.push('-o', `UserKnownHostsFile=${t.knownHostsFile}`, '-o', 'GlobalKnownHostsFile=/dev/null')
  args.push('-o', `ConnectTimeout=${t.connectTimeout ?? 10}`, '-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=3')
  if (t.identityFile) args.push('-i', t.identityFile, '-o', 'IdentitiesOnly=yes')
  const ciphers = t.ciphers === undefined ? (hasAesInstructions() ? AES_FIRST_CIPHERS : null) : t.ciphers
  if (ciphers !== null) args.push('-o', `Ciphers=${ciphers}`)
  if (t.password !== undefined) {
    args.push('-o', 'PreferredAuthentications=password,keyboard-interactive', '-o', 'PubkeyAuthentication=no', '-o', 'NumberOfPasswordPrompts=1')
  }
  const dir = controlDirOf(t)
  if (dir !== undefined) {
    args.push('-o', 'ControlMaster=auto', '-o', `ControlPath=${join(dir, '%C')}`, '-o', `ControlPersist=${t.controlPersist ?? 120}`)
  }
  return t.password === undefined ? args : ['sshpass', '-e', ...args]
}

function hostSpec(t: SshTarget): string {
  return t.host.includes(':') ? `[${t.host}]` : t.host
}

function endpointArg(e: RsyncEndpoint, t: SshTarget | undefined): string {
  if (typeof e === 'string') {
    // A local name with a colon before any slash would be read as host:path.
    return /^[^/]*:/.test(e) ? `./${e}` : e
  }
  if (t === undefined) throw new CommandError('rsync: a remote endpoint needs `ssh`', { command: 'rsync', exitCode: null, stderr: '', transient: false })
  return `${hostSpec(t)}:${e.remote}`
}

const OUT_PREFIX = 'LFRSYNC\t'

/** The full rsync argv for `o` (without the binary). */
export function rsyncArgs(o: RsyncOptions): string[] {
  const from = Array.isArray(o.from) ? o.from : [o.from]
  if (from.length === 0) throw new CommandError('rsync: nothing to copy (from is empty)', { command: 'rsync', exitCode: null, stderr: '', transient: false })
  const remoteSides = [...from, o.to].filter((e) => typeof e !== 'string').length
  if (remoteSides > 0 && typeof o.to !== 'string' && from.some((e) => typeof e !== 'string')) {
    throw new CommandError('rsync: both sides remote', { command: 'rsync', exitCode: null, stderr: '', transient: false })
  }
  for (const a of o.extraArgs ?? []) {
    if (!a.startsWith('-')) throw new CommandError(`rsync: extra argument ${JSON.stringify(a)} is not an option`, { command: 'rsync', exitCode: null, stderr: '', transient: false })
  }
  const args = [...(o.flags ?? ['-rt'])]
  args.push(`--timeout=${o.timeout ?? 60}`, '--partial', `--partial-dir=${o.partialDir ?? '.rsync-partial'}`)
  // %i change string, %l length, %b bytes moved, %n name (last: it may hold tabs, escaped by rsync).
  args.push(`--out-format=${OUT_PREFIX}%i\t%l\t%b\t%n`)
  if (o.delete) args.push('--delete')
  if (o.compress) args.push('-z')
  if (o.remoteRsyncPath) args.push(`--rsync-path=${o.remoteRsyncPath}`)
  if (remoteSides > 0 && o.ssh) args.push('-e', sshArgs(o.ssh).map(quoteForRsyncE).join(' '))
  args.push(...(o.extraArgs ?? []))
  args.push('--', ...from.map((e) => endpointArg(e, o.ssh)), endpointArg(o.to, o.ssh))
  return args
}

/** rsync escapes unprintable bytes of names as `\#ooo`. */
function unescapeName(s: string): string {
  if (!s.includes('\\#')) return s
  const bytes: number[] = []
  const raw = Buffer.from(s, 'utf8')
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x5c && raw[i + 1] === 0x23 && i + 4 < raw.length && /^[0-7]{3}$/.test(raw.subarray(i + 2, i + 5).toString())) {
      bytes.push(parseInt(raw.subarray(i + 2, i + 5).toString(), 8))
      i += 4
    } else bytes.push(raw[i] as number)
  }
  return Buffer.from(bytes).toString('utf8')
}

/** One `--out-format` line, or undefined for any other output. */
export function parseItemLine(line: string): RsyncItem | undefined {
  if (!line.startsWith(OUT_PREFIX)) return undefined
  const parts = line.slice(OUT_PREFIX.length).split('\t')
  if (parts.length < 4) return undefined
  const [itemize = '', len = '0', bytes = '0'] = parts
  const path = unescapeName(parts.slice(3).join('\t'))
  const deleted = itemize.startsWith('*deleting')
  const y = itemize[0]
  const x = itemize[1]
  const type = deleted ? (path.endsWith('/') ? 'dir' : 'file') : x === 'f' ? 'file' : x === 'd' ? 'dir' : x === 'L' ? 'symlink' : 'other'
  return {
    path,
    itemize: itemize.trim(),
    type,
    transferred: !deleted && (y === '>' || y === '<') && type === 'file',
    created: !deleted && itemize.slice(2).startsWith('+++++++'),
    deleted,
    size: Number(len.replace(/,/g, '')) || 0,
    bytes: Number(bytes.replace(/,/g, '')) || 0,
  }
}

let sshpassChecked = false
/** Local rsync binaries that answered `--version`: not asked again (a blocking spawn per run, ~10 ms); one gone since fails its spawn with ENOENT. */
const rsyncChecked = new Set<string>()

function missingLocal(bin: string, detail: string, cause?: unknown): RsyncUnavailableError {
  rsyncChecked.delete(bin)
  return new RsyncUnavailableError('ERR_RSYNC_MISSING_LOCAL', `rsync is not installed here (${bin}: ${detail})`, { cause })
}

function checkTools(o: RsyncOptions): string {
  const bin = o.rsyncPath ?? 'rsync'
  if (!rsyncChecked.has(bin)) {
    const r = spawnSync(bin, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] })
    if (r.error || r.status !== 0) throw missingLocal(bin, r.error?.message ?? `exit ${r.status}`, r.error)
    rsyncChecked.add(bin)
  }
  if (o.ssh?.password !== undefined && !sshpassChecked) {
    const p = spawnSync('sshpass', ['-V'], { stdio: 'ignore' })
    if (p.error || p.status !== 0) throw new RsyncUnavailableError('ERR_SSHPASS_MISSING', 'password auth needs sshpass, which is not installed (Debian: apt-get install sshpass)', { cause: p.error })
    sshpassChecked = true
  }
  return bin
}

/** `rsync --version`'s first line, e.g. `3.4.1` (undefined when rsync is missing). */
export function rsyncVersion(rsyncPath = 'rsync'): string | undefined {
  const r = spawnSync(rsyncPath, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] })
  if (r.error || r.status !== 0) return undefined
  return /version\s+(\d+\.\d+\.\d+)/.exec(r.stdout.toString())?.[1]
}

/** How often rsync's itemised output is read while it runs (ms). */
const ITEM_POLL_MS = 20

/**
 * rsync's stdout while it runs: an unlinked temp file, read every ITEM_POLL_MS. A pipe would wake
 * this process once per itemised line (rsync flushes each one): ~35 ms of CPU per 1,000 files
 * (measured beside the transfer, against 3-5 ms without), CPU the transfer itself needs.
 */
class ItemLog {
  readonly fd: number
  readonly #buf = Buffer.allocUnsafe(64 << 10)
  readonly #decoder = new StringDecoder('utf8')
  #pos = 0
  #path: string | undefined

  constructor() {
    const path = join(tmpdir(), `lf-rsync-${process.pid}-${randomBytes(6).toString('hex')}.out`)
    this.fd = openSync(path, 'wx+', 0o600)
    try {
      unlinkSync(path)
    } catch {
      this.#path = path
    }
  }

  /** What rsync wrote since the last call. */
  read(): string {
    let text = ''
    for (;;) {
      const n = readSync(this.fd, this.#buf, 0, this.#buf.length, this.#pos)
      if (n === 0) return text
      this.#pos += n
      text += this.#decoder.write(this.#buf.subarray(0, n))
    }
  }

  close(): void {
    closeSync(this.fd)
    if (this.#path !== undefined) rmSync(this.#path, { force: true })
  }
}

/**
 * Runs rsync until it succeeds (exit 0, or 24 as a warning), fails permanently or the retries are
 * used up. Throws a CommandError (`transient`, `exitCode`, `stderr`), an RsyncUnavailableError
 * when rsync is missing on a side, or the abort error.
 */
export async function runRsync(o: RsyncOptions): Promise<RsyncResult> {
  const bin = checkTools(o)
  const args = rsyncArgs(o)
  const env = o.ssh?.password !== undefined ? { SSHPASS: o.ssh.password } : undefined
  const started = Date.now()
  // Every file any attempt completed (by path, the last word wins): a failed run still reports what came.
  const seen = new Map<string, RsyncItem>()
  const r = await attempt(
    async () => {
      const items = {
        push: (i: RsyncItem): void => {
          seen.set(i.path, i)
          o.onItem?.(i)
        },
      }
      let pending = ''
      const log = new ItemLog()
      const onText = (text: string): void => {
        if (text === '') return
        pending += text
        let nl: number
        while ((nl = pending.indexOf('\n')) >= 0) {
          const item = parseItemLine(pending.slice(0, nl))
          pending = pending.slice(nl + 1)
          if (item) items.push(item)
        }
      }
      const flush = (): void => {
        onText(log.read())
        const item = parseItemLine(pending)
        if (item) items.push(item)
        pending = ''
      }
      const poll = setInterval(() => onText(log.read()), ITEM_POLL_MS)
      try {
        const res = await runCommand(bin, args, { env, signal: o.signal, timeoutMs: o.maxDurationMs, stdoutFd: log.fd, dieWithParent: true })
        flush()
        return { exitCode: 0 as const, warnings: nonItemLines(res.stderr) }
      } catch (err) {
        flush()
        if (!(err instanceof CommandError)) throw err
        if (err.exitCode === null && (err.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw missingLocal(bin, (err.cause as Error).message, err)
        if (err.exitCode === 24) return { exitCode: 24 as const, warnings: ['some source files vanished during the sync (rsync exit 24)', ...nonItemLines(err.stderr)] }
        if (REMOTE_RSYNC_MISSING.test(err.stderr) || err.exitCode === 127) {
          throw new RsyncUnavailableError('ERR_RSYNC_MISSING_REMOTE', `rsync is not installed on ${o.ssh?.host ?? 'the remote side'}: ${err.stderr.split('\n').find((l) => REMOTE_RSYNC_MISSING.test(l))?.trim() ?? `exit ${err.exitCode}`}`, { cause: err })
        }
        const transient = err.timedOut || classifyRsyncExit(err.exitCode, err.stderr) === 'transient'
        throw new CommandError(err.message, { command: 'rsync', exitCode: err.exitCode, stderr: err.stderr, transient, timedOut: err.timedOut, cause: err })
      } finally {
        clearInterval(poll)
        log.close()
      }
    },
    { retries: o.retries ?? DEFAULT_RETRIES, retryDelay: o.retryDelay ?? DEFAULT_RETRY_DELAY_MS, ...(o.retryDelayMax === undefined ? {} : { maxDelay: o.retryDelayMax }), signal: o.signal, onRetry: o.onRetry },
  )
  const items = [...seen.values()]
  if (!r.ok) {
    if (r.error instanceof Error) Object.assign(r.error, { attempts: r.attempts, items })
    throw r.error
  }
  const { exitCode, warnings } = r.value
  const files = items.filter((i) => i.transferred)
  return {
    items,
    filesTransferred: files.length,
    bytesTransferred: files.reduce((s, i) => s + i.size, 0),
    filesDeleted: items.filter((i) => i.deleted).length,
    exitCode,
    warnings,
    attempts: r.attempts,
    durationMs: Date.now() - started,
  }
}

function nonItemLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('rsync error: some files vanished') && !l.startsWith('Warning: Permanently added'))
    .slice(-20)
}

/** Closes the reused SSH connection to `t` (at service stop); harmless when none is open. */
export async function closeSshConnection(t: SshTarget): Promise<void> {
  if (t.controlDir === null) return
  const argv = sshArgs({ ...t, password: undefined })
  try {
    await runCommand(argv[0] as string, [...argv.slice(1), '-O', 'exit', hostSpec(t)], { timeoutMs: 10_000 })
  } catch {
    // No master running: nothing to close.
  }
}
