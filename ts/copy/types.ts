/** Public types of periodic copy jobs. */
import type { FileSystemSpec } from '../storage/index.js'

export interface CopyJobOptions {
  /** Unique job name: letters, digits, '.', '_' and '-' (also names the state file). */
  name: string
  /** Local files: absolute paths, directories or glob patterns (relative ones resolve against the cwd). */
  localPattern: string | readonly string[]
  /** Where files go: a URL (`webhdfs://`, `hdfs://`, `s3://`, `gs://`, `az://`, `sftp://`, `file://`, `memory://`), a storage config or a FileSystem. */
  destination: FileSystemSpec
  /** Milliseconds from the end of one run to the start of the next (default 60000). */
  interval?: number
  /** Create the destination directory before each run (default true). When false, a missing destination fails the run. */
  createDestDirs?: boolean
  /** Keep paths relative to each pattern's literal base directory (default true); false keeps only basenames. */
  preserveStructure?: boolean
  /** Retries per file on transient errors within a run (default 3); failed files are tried again next run. */
  maxRetries?: number
  /** Base delay in ms of the exponential backoff between retries (default 5000). */
  retryDelay?: number
  /** Also copy files a Logger of this process is writing, and files modified within `settleTime` (default false). */
  includeActive?: boolean
  /** A file modified less than this many ms ago is still being written: skipped unless includeActive (default 2000). */
  settleTime?: number
  /** Directory of the state file `{name}.json` (default: `.logferry-copy` under the first pattern's base directory). */
  stateDir?: string
  /** Exact state file path (overrides stateDir). */
  statePath?: string
  /** Files copied at the same time within a run (default 4). */
  concurrency?: number
  /** Compare checksums after each copy (default true). */
  verify?: boolean
  /** Run once right away instead of after the first interval (default true). */
  runOnStart?: boolean
}

/** What listCopyOperations() reports about one job. */
export interface CopyOperationInfo {
  name: string
  /** True while the job is scheduled or executing (false once stopped or stopping). */
  running: boolean
  /** True while a run is executing. */
  inProgress: boolean
  /** Patterns as given (resolved to absolute paths). */
  localPattern: string[]
  /** Destination as a display string (URL or protocol name; credentials never shown). */
  destination: string
  interval: number
  lastRunAt: Date | undefined
  /** Error message of the last run's first failure, or undefined when the last run had none. */
  lastError: string | undefined
  /** Totals over the job's lifetime in this process. */
  filesCopied: number
  bytesCopied: number
  filesFailed: number
  runs: number
  nextRunAt: Date | undefined
}

/** The outcome of one run of a job. */
export interface CopyRunResult {
  name: string
  startedAt: Date
  durationMs: number
  /** Files that matched the patterns. */
  matched: number
  copied: number
  bytes: number
  /** Unchanged since their last copy. */
  unchanged: number
  /** Open by a Logger of this process or modified within settleTime. */
  active: number
  failed: number
  /** First failure of the run, if any. */
  error: Error | undefined
  /** True when the run was cut short by stopCopy's timeout. */
  aborted: boolean
}

export interface StopCopyOptions {
  /** Milliseconds to wait for a run in progress before aborting it (default 10000). */
  timeout?: number
}
