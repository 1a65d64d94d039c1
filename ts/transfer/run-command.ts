/** Runs an external tool (hadoop, scp) without a shell: bounded output, timeout, abort, exit code. */
import { spawn, spawnSync } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { CommandError, TransferAbortError } from './errors.js'

export interface RunOptions {
  env?: Record<string, string | undefined>
  signal?: AbortSignal
  /** Kill the process after this many ms (default: no limit). */
  timeoutMs?: number
  /** Bytes of stdout and of stderr kept (the last ones; default 64 KiB each). */
  maxOutput?: number
  /** Grace period between SIGTERM and SIGKILL (default 5 s). */
  killGraceMs?: number
  /** Sees every stdout chunk as it comes (a tool's per-file output, whatever maxOutput keeps). */
  onStdout?: (chunk: Buffer) => void
  /** The child's stdout goes to this file descriptor instead of a pipe (then onStdout and the result's stdout see nothing). */
  stdoutFd?: number
  /**
   * Linux: the child gets SIGKILL when this process dies, even by kill -9 (no handler runs then).
   * Node cannot set PR_SET_PDEATHSIG itself: util-linux's `setpriv --pdeathsig KILL` sets it and
   * execs the command (same pid). Elsewhere, or without setpriv, the command runs as is.
   */
  dieWithParent?: boolean
}

let setprivBin: string | null | undefined

function onPath(bin: string): string | undefined {
  const candidates = bin.includes('/') ? [bin] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, bin))
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK)
      return c
    } catch {
      // not this one
    }
  }
  return undefined
}

/** `bin args`, wrapped so that the child dies with this process (see RunOptions.dieWithParent). */
function deathBound(bin: string, args: readonly string[]): [string, string[]] {
  if (process.platform !== 'linux') return [bin, [...args]]
  if (setprivBin === undefined) {
    const p = onPath('setpriv')
    setprivBin = p !== undefined && spawnSync(p, ['--pdeathsig', 'KILL', '--', 'true'], { stdio: 'ignore' }).status === 0 ? p : null
  }
  // A missing command keeps its own ENOENT (not setpriv's exit 127, which means something else to callers).
  if (setprivBin === null || onPath(bin) === undefined) return [bin, [...args]]
  return [setprivBin, ['--pdeathsig', 'KILL', '--', bin, ...args]]
}

export interface RunResult {
  stdout: string
  stderr: string
  durationMs: number
}

/** Keeps the last `limit` bytes written to it. */
class Tail {
  private chunks: Buffer[] = []
  private size = 0
  truncated = false

  constructor(private readonly limit: number) {}

  push(b: Buffer): void {
    this.chunks.push(b)
    this.size += b.length
    while (this.size > this.limit && this.chunks.length > 0) {
      const first = this.chunks[0] as Buffer
      const excess = this.size - this.limit
      this.truncated = true
      if (first.length <= excess) {
        this.chunks.shift()
        this.size -= first.length
      } else {
        this.chunks[0] = first.subarray(excess)
        this.size -= excess
      }
    }
  }

  text(): string {
    return (this.truncated ? '...' : '') + Buffer.concat(this.chunks).toString('utf8')
  }
}

/**
 * Runs `bin args` and resolves with its output when it exits 0. Rejects with a CommandError
 * (exit code, signal, stderr tail, transient or not) otherwise, and with a TransferAbortError
 * when `signal` aborts (the process is killed: SIGTERM, then SIGKILL after the grace period).
 */
export function runCommand(bin: string, args: readonly string[], o: RunOptions = {}): Promise<RunResult> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return reject(new TransferAbortError(o.signal.reason))
    const limit = o.maxOutput ?? 64 * 1024
    const out = new Tail(limit)
    const err = new Tail(limit)
    const [file, argv] = o.dieWithParent === true ? deathBound(bin, args) : [bin, [...args]]
    const child = spawn(file, argv, { env: { ...process.env, ...o.env }, stdio: ['ignore', o.stdoutFd ?? 'pipe', 'pipe'], shell: false })
    let why: 'timeout' | 'abort' | undefined
    let killTimer: NodeJS.Timeout | undefined
    const kill = (reason: 'timeout' | 'abort'): void => {
      if (why !== undefined) return
      why = reason
      child.kill('SIGTERM')
      killTimer = setTimeout(() => child.kill('SIGKILL'), o.killGraceMs ?? 5000)
      killTimer.unref()
    }
    const onAbort = (): void => kill('abort')
    o.signal?.addEventListener('abort', onAbort, { once: true })
    const timer = o.timeoutMs !== undefined ? setTimeout(() => kill('timeout'), o.timeoutMs) : undefined
    child.stdout?.on('data', (b: Buffer) => {
      out.push(b)
      o.onStdout?.(b)
    })
    child.stderr?.on('data', (b: Buffer) => err.push(b))
    const cleanup = (): void => {
      if (timer) clearTimeout(timer)
      if (killTimer) clearTimeout(killTimer)
      o.signal?.removeEventListener('abort', onAbort)
    }
    child.once('error', (e: NodeJS.ErrnoException) => {
      cleanup()
      reject(
        new CommandError(`cannot run ${bin}: ${e.message}`, {
          command: bin,
          exitCode: null,
          stderr: '',
          transient: e.code === 'EAGAIN' || e.code === 'EMFILE',
          cause: e,
        }),
      )
    })
    child.once('close', (code, sig) => {
      cleanup()
      const durationMs = Date.now() - started
      if (why === 'abort') return reject(new TransferAbortError(o.signal?.reason))
      const stderr = err.text()
      if (why === 'timeout') {
        return reject(
          new CommandError(`${bin} ${args[0] ?? ''} timed out after ${o.timeoutMs} ms`, {
            command: bin,
            exitCode: code,
            stderr,
            transient: true,
            timedOut: true,
          }),
        )
      }
      if (code === 0) return resolve({ stdout: out.text(), stderr, durationMs })
      reject(
        new CommandError(`${bin} ${args[0] ?? ''} failed (${code === null ? `signal ${sig}` : `exit code ${code}`}): ${lastLines(stderr)}`, {
          command: bin,
          exitCode: code,
          stderr,
          transient: null,
        }),
      )
    })
  })
}

/** The last few meaningful stderr lines (Java stack frames left out), for error messages. */
export function lastLines(stderr: string, n = 3): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('at ') && !/^\.\.\. \d+ more$/.test(l) && !/\bWARN\b|\bINFO\b/.test(l))
  return lines.slice(-n).join(' | ') || '(no error output)'
}
