/** Public types of transferFiles: its options and its report. */
import type { FileSystemSpec } from '../storage/index.js'

/** How a file is moved. Only 'storage' (and 'auto', which picks it) is implemented today. */
export type TransferMethod = 'storage' | 'distcp' | 'hdfs-put' | 'hdfs-cp' | 'scp' | 'auto'

/** What happens when the target already exists. */
export type OverwritePolicy = 'ifChanged' | 'always' | 'never'

export type FileOutcome = 'copied' | 'skipped' | 'failed' | 'dry-run'

export interface TransferProgress {
  bytesDone: number
  bytesTotal: number
  filesDone: number
  filesTotal: number
}

/** A source filesystem together with paths or globs on it. */
export interface SourceFiles {
  source: FileSystemSpec
  paths: string | readonly string[]
}

export interface TransferOptions {
  /** Paths or glob patterns on `source`, or a source filesystem with its paths. */
  files: string | readonly string[] | SourceFiles
  /** Where `files` live (URL, config or FileSystem). Default: the local filesystem at '/'. */
  source?: FileSystemSpec
  /** Where files go (URL, config or FileSystem). Paths are written relative to its root. */
  target: FileSystemSpec
  /** 'storage' or 'auto' (= 'storage' for now). Default 'auto'. */
  method?: TransferMethod
  /** Files copied at the same time (default 4). */
  concurrency?: number
  /** Keep each file's path relative to its glob's base (default true); false keeps the basename. */
  preserveStructure?: boolean
  /** Default 'ifChanged'. */
  overwrite?: OverwritePolicy
  /** Compare a checksum computed while streaming with the target's after the copy (default true). */
  verify?: boolean
  /** Retries per file on transient (ETRANSIENT) errors (default 3). */
  retries?: number
  /** Base delay in ms for exponential backoff with full jitter (default 1000). */
  retryDelay?: number
  /** Delete each source file after its copy was verified (requires verify). Default false. */
  deleteSource?: boolean
  /** Plan and report without writing or deleting anything. Default false. */
  dryRun?: boolean
  signal?: AbortSignal
  onProgress?: (progress: TransferProgress) => void
}

export interface FileReport {
  /** Path on the source filesystem. */
  source: string
  /** Path on the target filesystem. */
  target: string
  bytes: number
  method: Exclude<TransferMethod, 'auto'>
  /** Copy attempts made (0 when the file was skipped or only planned). */
  attempts: number
  /** sha256 of the content as streamed ('' when nothing was streamed). */
  checksum: string
  durationMs: number
  outcome: FileOutcome
  /** Why the file failed. */
  error?: Error
}

export interface TransferTotals {
  files: number
  copied: number
  skipped: number
  failed: number
  dryRun: number
  /** Bytes written to the target. */
  bytes: number
  durationMs: number
}

export interface TransferReport {
  /** True when no file failed. */
  ok: boolean
  files: FileReport[]
  totals: TransferTotals
}

/** What transferFiles resolves for one source file before copying it. */
export interface PlannedFile {
  source: string
  target: string
  /** Size when known from planning (undefined when the stat failed). */
  size: number
  mtime?: Date
  /** Planning failure (e.g. ENOENT for a literal path): reported without a copy attempt. */
  error?: Error
}

