/** CopyJobRunner: the set of periodic copy jobs of one host (LoggerManager, LogManager, CLI). */
import { EventEmitter } from 'node:events'
import { invalidConfig } from '../config-error.js'
import { LogferryError } from '../errors.js'
import { CopyJob } from './copy-job.js'
import { resolveCopyJob, resolveRunnerOptions, resolveStopOptions } from './options.js'
import type { CopyJobOptions, CopyOperationInfo, CopyRunResult, StopCopyOptions } from './types.js'

export interface CopyJobRunnerOptions {
  /** Directory for state files of jobs that set neither stateDir nor statePath. */
  defaultStateDir?: string
  /** Keep the process alive between runs (the CLI does). Default false: timers are unref'd. */
  keepAlive?: boolean
}

type Events = {
  runStart: [name: string]
  runEnd: [result: CopyRunResult]
  warning: [error: Error]
}

/** Runners with jobs; their jobs are halted when the process exits. */
const live = new Set<CopyJobRunner>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // 'exit' only: signals stay the application's business (a SIGINT/SIGTERM handler should call
  // stopAllCopies). Timers are unref'd, so jobs never keep an otherwise finished process alive.
  process.on('exit', () => {
    for (const r of live) r.halt()
  })
}

function timeoutOf(options: StopCopyOptions | undefined): number {
  return resolveStopOptions(options).timeout
}

export class CopyJobRunner extends EventEmitter<Events> {
  readonly #jobs = new Map<string, CopyJob>()
  /** Jobs stopped but whose aborted run has not finished yet (their names stay taken). */
  readonly #stopping = new Map<string, CopyJob>()
  readonly #options: CopyJobRunnerOptions

  constructor(options: CopyJobRunnerOptions = {}) {
    super()
    this.#options = resolveRunnerOptions(options)
  }

  /**
   * Validates the options, starts the job and returns its first status. With `timer: false` the
   * job is registered but never runs by itself: only runNow runs it (`logferry copy --once`).
   */
  start(options: CopyJobOptions, { timer = true }: { timer?: boolean } = {}): CopyOperationInfo {
    const o = resolveCopyJob(options, this.#options.defaultStateDir)
    if (this.#jobs.has(o.name) || this.#stopping.has(o.name)) {
      if (o.ownsDestination) void o.destination.close().catch(() => undefined)
      throw invalidConfig('name', `a copy job named '${o.name}' is already running`)
    }
    const job = new CopyJob(o, {
      onRunStart: (name) => this.emit('runStart', name),
      onRunEnd: (result) => this.emit('runEnd', result),
      onWarning: (err) => this.emit('warning', err),
      keepAlive: this.#options.keepAlive ?? false,
    })
    this.#jobs.set(o.name, job)
    live.add(this)
    installExitHook()
    if (timer) job.start()
    return job.info()
  }

  #job(name: string): CopyJob {
    const job = this.#jobs.get(name)
    if (!job) throw new LogferryError('ERR_INVALID_ARG', `no copy job named '${String(name)}'`)
    return job
  }

  /** Runs a job now (after its run in progress, if any). */
  runNow(name: string): Promise<CopyRunResult> {
    return this.#job(name).runNow()
  }

  /**
   * Stops a job: no further runs; a run in progress may finish within `timeout` ms, else it is
   * aborted. True when the job stopped in time; false when it had to be aborted or is unknown.
   */
  async stop(name: string, options?: StopCopyOptions): Promise<boolean> {
    const timeout = timeoutOf(options)
    const job = this.#jobs.get(name)
    if (!job) return false
    this.#jobs.delete(name)
    this.#stopping.set(name, job)
    const { stopped, settled } = await job.stop(timeout)
    void settled.then(() => {
      if (this.#stopping.get(name) === job) this.#stopping.delete(name)
      if (this.#jobs.size === 0 && this.#stopping.size === 0) live.delete(this)
    })
    if (stopped) await settled
    return stopped
  }

  /** Stops every job in parallel; returns the names of those that did not stop within `timeout`. */
  async stopAll(options?: StopCopyOptions): Promise<string[]> {
    const timeout = timeoutOf(options)
    const names = [...this.#jobs.keys()]
    const results = await Promise.all(names.map((n) => this.stop(n, { timeout })))
    return names.filter((_, i) => !results[i]).sort()
  }

  list(): CopyOperationInfo[] {
    return [...this.#jobs.values()].map((j) => j.info()).sort((a, b) => (a.name < b.name ? -1 : 1))
  }

  has(name: string): boolean {
    return this.#jobs.has(name)
  }

  /** Stops timers and aborts runs at once (process exit). */
  halt(): void {
    for (const j of [...this.#jobs.values(), ...this.#stopping.values()]) j.halt()
  }
}
