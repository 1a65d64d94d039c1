/** One periodic copy job: a timer that never overlaps with itself, change detection, state. */
import { basename, dirname } from 'node:path'
import { isActiveLogPath } from '../active-log-paths.js'
import { filesystem, type FileSystem } from '../storage/index.js'
import { TransferAbortError, transferFiles, type PlannedSourceFile, type TransferReport } from '../transfer/index.js'
import { patternBase, targetPathOf } from '../transfer/plan.js'
import type { ResolvedCopyJob } from './options.js'
import { expandPatterns, type Candidate } from './select.js'
import { CopyState } from './state.js'
import type { CopyOperationInfo, CopyRunResult } from './types.js'

export interface CopyJobHooks {
  onRunStart(name: string): void
  onRunEnd(result: CopyRunResult): void
  onWarning(err: Error): void
  /** Keep the process alive while the job waits for its next run (default: timers are unref'd). */
  keepAlive: boolean
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err))
}

export class CopyJob {
  readonly name: string
  readonly #o: ResolvedCopyJob
  readonly #hooks: CopyJobHooks
  readonly #state: CopyState
  readonly #local: FileSystem
  readonly #abort = new AbortController()
  #loaded: Promise<void> | undefined
  #timer: NodeJS.Timeout | undefined
  #nextRunAt: Date | undefined
  /** Every run goes through this chain, so runs never overlap. */
  #queue: Promise<unknown> = Promise.resolve()
  #stopped = false
  #inProgress = false
  #lastRunAt: Date | undefined
  #lastError: string | undefined
  #filesCopied = 0
  #bytesCopied = 0
  #filesFailed = 0
  #runs = 0

  /** `local`: the local filesystem rooted at '/' the job reads (the job's own by default). */
  constructor(o: ResolvedCopyJob, hooks: CopyJobHooks, local?: FileSystem) {
    this.name = o.name
    this.#o = o
    this.#hooks = hooks
    this.#local = local ?? filesystem({ protocol: 'file', root: '/' })
    this.#state = new CopyState(o.statePath, `copy job ${o.name}`)
  }

  get statePath(): string {
    return this.#o.statePath
  }

  start(): void {
    this.#schedule(this.#o.runOnStart ? 0 : this.#o.interval)
  }

  #schedule(delay: number): void {
    if (this.#stopped) return
    this.#nextRunAt = new Date(Date.now() + delay)
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#nextRunAt = undefined
      // The next run is scheduled only once this one has finished: no overlap, ever.
      this.runNow().then(
        () => this.#schedule(this.#o.interval),
        () => this.#schedule(this.#o.interval),
      )
    }, delay)
    if (!this.#hooks.keepAlive) this.#timer.unref()
  }

  /** Runs the job now (after a run in progress, if any) and resolves with its result. */
  runNow(): Promise<CopyRunResult> {
    const run = this.#queue.then(() => this.#run())
    this.#queue = run.catch(() => undefined)
    return run
  }

  /**
   * Stops the timer and waits up to `timeout` ms for a run in progress. If it is still running
   * then, it is aborted and false is returned. Resolves `settled` once nothing runs any more.
   */
  async stop(timeout: number): Promise<{ stopped: boolean; settled: Promise<void> }> {
    this.#stopped = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#nextRunAt = undefined
    const settled = this.#queue.then(() => this.#close())
    let timer: NodeJS.Timeout | undefined
    const inTime = await Promise.race([
      this.#queue.then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeout)
      }),
    ])
    clearTimeout(timer)
    if (!inTime) this.#abort.abort(new Error(`copy job '${this.name}' stopped after ${timeout} ms`))
    return { stopped: inTime, settled }
  }

  /** Called when the process exits: no more runs, the current one is told to stop. */
  halt(): void {
    this.#stopped = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#abort.abort(new Error('process exit'))
  }

  async #close(): Promise<void> {
    this.#state.close()
    if (this.#o.ownsDestination) await this.#o.destination.close().catch(() => undefined)
    await this.#local.close().catch(() => undefined)
  }

  info(): CopyOperationInfo {
    return {
      name: this.name,
      running: !this.#stopped,
      inProgress: this.#inProgress,
      localPattern: [...this.#o.patterns],
      destination: this.#o.destinationLabel,
      interval: this.#o.interval,
      lastRunAt: this.#lastRunAt,
      lastError: this.#lastError,
      filesCopied: this.#filesCopied,
      bytesCopied: this.#bytesCopied,
      filesFailed: this.#filesFailed,
      runs: this.#runs,
      nextRunAt: this.#nextRunAt,
    }
  }

  async #loadState(): Promise<void> {
    this.#loaded ??= this.#state.load().then(
      (warning) => {
        if (warning) this.#hooks.onWarning(warning)
      },
      (err: unknown) => {
        // Not opened (e.g. another process holds it): this run fails, the next one tries again.
        this.#loaded = undefined
        throw err
      },
    )
    await this.#loaded
  }

  /** True for the job's own state file and its temp siblings. */
  #isStateFile(abs: string): boolean {
    return dirname(abs) === dirname(this.#o.statePath) && basename(abs).startsWith(basename(this.#o.statePath))
  }

  async #run(): Promise<CopyRunResult> {
    const startedAt = new Date()
    const result: CopyRunResult = {
      name: this.name,
      startedAt,
      durationMs: 0,
      matched: 0,
      copied: 0,
      bytes: 0,
      unchanged: 0,
      active: 0,
      failed: 0,
      error: undefined,
      aborted: false,
    }
    if (this.#stopped) {
      // Queued behind a run that was in progress when the job stopped.
      result.aborted = true
      return result
    }
    this.#inProgress = true
    this.#hooks.onRunStart(this.name)
    const selected = new Map<string, Candidate>()
    try {
      await this.#loadState()
      const expansion = await expandPatterns(this.#local, this.#o.patterns)
      const now = Date.now()
      for (const c of expansion.files.values()) {
        const abs = `/${c.path}`
        if (this.#isStateFile(abs)) continue
        result.matched++
        if (this.#state.unchanged(abs, c)) result.unchanged++
        else if (!this.#o.includeActive && (isActiveLogPath(abs) || now - c.mtimeMs < this.#o.settleTime)) result.active++
        else selected.set(c.path, c)
      }
      this.#state.retain(new Set([...expansion.files.keys()].map((p) => `/${p}`)))
      if (selected.size > 0) {
        const planned = this.#plan(expansion.patterns, selected)
        await this.#prepareDestination()
        let report: TransferReport
        try {
          report = await transferFiles({
            files: { source: this.#local, planned },
            target: this.#o.destination,
            method: 'auto',
            preserveStructure: this.#o.preserveStructure,
            overwrite: 'always',
            verify: this.#o.verify,
            retries: this.#o.maxRetries,
            retryDelay: this.#o.retryDelay,
            concurrency: this.#o.concurrency,
            signal: this.#abort.signal,
          })
        } catch (err) {
          if (!(err instanceof TransferAbortError)) throw err
          result.aborted = true
          result.error = err
          report = err.report ?? { ok: false, files: [], totals: { files: 0, copied: 0, skipped: 0, failed: 0, dryRun: 0, deleted: 0, bytes: 0, durationMs: 0 } }
        }
        for (const f of report.files) {
          const c = selected.get(f.source)
          if (f.outcome === 'copied' && c) {
            this.#state.record(`/${f.source}`, c)
            result.copied++
            // bytes written to the target; the planned size if the report does not say.
            result.bytes += Number.isFinite(f.bytes) ? f.bytes : c.size
          } else if (f.outcome === 'failed') {
            result.failed++
            result.error ??= f.error
          }
        }
        // Files the aborted transfer never reached count as failed: they are tried next run.
        if (result.aborted) result.failed = selected.size - result.copied
      }
      await this.#state.save()
    } catch (err) {
      result.error = toError(err)
      result.failed = selected.size - result.copied
      await this.#state.save().catch(() => undefined)
    } finally {
      this.#inProgress = false
    }
    result.durationMs = Date.now() - startedAt.getTime()
    this.#runs++
    this.#lastRunAt = startedAt
    this.#lastError = result.error?.message
    this.#filesCopied += result.copied
    this.#bytesCopied += result.bytes
    this.#filesFailed += result.failed
    this.#hooks.onRunEnd(result)
    return result
  }

  /**
   * The selected files as transferFiles' planned list (the directories were listed once, by
   * expandPatterns): each file's target is relative to the base of the first pattern that
   * matched it, as transferFiles computes it for patterns.
   */
  #plan(patterns: ReadonlyMap<string, readonly Candidate[]>, selected: ReadonlyMap<string, Candidate>): PlannedSourceFile[] {
    const out: PlannedSourceFile[] = []
    const seen = new Set<string>()
    for (const [pattern, list] of patterns) {
      const base = patternBase(pattern)
      for (const c of list) {
        if (!selected.has(c.path) || seen.has(c.path)) continue
        seen.add(c.path)
        out.push({ path: c.path, target: targetPathOf(c.path, base, this.#o.preserveStructure), size: c.size, mtime: new Date(c.mtimeMs) })
      }
    }
    return out
  }

  async #prepareDestination(): Promise<void> {
    const dest = this.#o.destination
    if (this.#o.createDestDirs) {
      await dest.mkdir('', { parents: true })
      return
    }
    if (!(await dest.exists(''))) {
      throw new Error(`destination ${this.#o.destinationLabel} does not exist (createDestDirs is false)`)
    }
  }
}
