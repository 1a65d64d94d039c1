/** The copy-job methods LoggerManager and LogManager share, all backed by one CopyJobRunner. */
import { CopyJobRunner, type CopyJobRunnerOptions } from './copy-job-runner.js'
import type { CopyJobOptions, CopyOperationInfo, CopyRunResult, StopCopyOptions } from './types.js'

export abstract class CopyJobHost {
  #runner: CopyJobRunner | undefined

  /** Where jobs without stateDir/statePath keep their state (the host's log directory). */
  protected abstract copyStateDir(): string | undefined

  /** The runner behind the copy methods (subscribe to 'runStart', 'runEnd', 'warning'). */
  get copyJobs(): CopyJobRunner {
    this.#runner ??= new CopyJobRunner({ defaultStateDir: this.copyStateDir() } satisfies CopyJobRunnerOptions)
    return this.#runner
  }

  /** Starts a periodic copy job (first run right away unless runOnStart is false). */
  startCopy(options: CopyJobOptions): CopyOperationInfo {
    return this.copyJobs.start(options)
  }

  /** Stops one job; true when it stopped within `timeout` ms (default 10000). */
  stopCopy(name: string, options?: StopCopyOptions): Promise<boolean> {
    return this.copyJobs.stop(name, options)
  }

  /** Stops every job; resolves with the names of those that did not stop in time. */
  stopAllCopies(options?: StopCopyOptions): Promise<string[]> {
    return this.#runner ? this.#runner.stopAll(options) : Promise.resolve([])
  }

  listCopyOperations(): CopyOperationInfo[] {
    return this.#runner ? this.#runner.list() : []
  }

  /** Stops timers and aborts runs at once, without waiting (for synchronous shutdown paths). */
  protected haltCopies(): void {
    this.#runner?.halt()
  }

  /** Runs a job now, after its run in progress if any. */
  runCopyNow(name: string): Promise<CopyRunResult> {
    return this.copyJobs.runNow(name)
  }

  /** Alias of startCopy, for code written against the Python LogManager's start_hdfs_copy. */
  startHdfsCopy(options: CopyJobOptions): CopyOperationInfo {
    return this.startCopy(options)
  }

  /** Alias of stopCopy. */
  stopHdfsCopy(name: string, options?: StopCopyOptions): Promise<boolean> {
    return this.stopCopy(name, options)
  }

  /** Alias of stopAllCopies. */
  stopAllHdfsCopy(options?: StopCopyOptions): Promise<string[]> {
    return this.stopAllCopies(options)
  }

  /** Alias of listCopyOperations. */
  listHdfsCopyOperations(): CopyOperationInfo[] {
    return this.listCopyOperations()
  }
}
