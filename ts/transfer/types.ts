/** Public types of transferFiles: its options and its report. */
import type { FileSystemSpec } from '../storage/index.js'

/**
 * How files are moved: 'storage' streams through the storage layer (any pair of backends);
 * 'distcp' runs one `hadoop distcp` job for the batch; 'hdfs-put' / 'hdfs-cp' run `hadoop fs
 * -put` / `-cp`; 'scp' runs OpenSSH scp; 'auto' tries distcp, hdfs-put, hdfs-cp, scp, storage in
 * that order, skipping those that do not apply to the source and target.
 */
export type TransferMethod = 'storage' | 'distcp' | 'hdfs-put' | 'hdfs-cp' | 'scp' | 'auto'

/** A method that really moves bytes ('auto' resolves to these). */
export type ConcreteMethod = Exclude<TransferMethod, 'auto'>

export type Compression = 'gzip' | 'zstd'

/** Where the hadoop CLI is and how it reaches HDFS. */
export interface HadoopOptions {
  /** The hadoop executable. Default: $HADOOP_HOME/bin/hadoop, then hadoop on PATH. */
  bin?: string
  /** Extra environment for hadoop (e.g. HADOOP_OPTS). */
  env?: Record<string, string>
  /** HADOOP_CONF_DIR for the hadoop process. */
  conf?: string
  /**
   * NameNode RPC address ('hdfs://host:8020') for HDFS endpoints that name none of their own (an
   * hdfs:// URL or a config's `namenode` does): their paths go to hadoop as hdfs:// URIs on it;
   * without either, as webhdfs:// URIs on the filesystem's HTTP address.
   */
  namenode?: string
  /** Kill a hadoop command after this many ms (default 1 hour). */
  timeoutMs?: number
}

/** How OpenSSH scp connects to an SFTP target (host, port, user and key come from its config). */
export interface ScpOptions {
  /** The scp executable (default: scp on PATH). */
  bin?: string
  /** ssh StrictHostKeyChecking (default 'yes': the host must be in the known hosts). */
  strictHostKeyChecking?: 'yes' | 'no' | 'accept-new'
  /** A known_hosts file to use instead of the user's. */
  knownHostsFile?: string
  /** Kill an scp command after this many ms (default 1 hour). */
  timeoutMs?: number
}

/** One method tried for one file, and why it did not do the job. */
export interface MethodAttempt {
  method: ConcreteMethod
  /** Error code (ERR_METHOD_UNAVAILABLE, ERR_COMMAND_FAILED, a StorageError code, ...). */
  code: string
  message: string
  /** Attempts made with this method (0 when it was unavailable). */
  attempts: number
  durationMs: number
}

/** What happens when the target already exists. */
export type OverwritePolicy = 'ifChanged' | 'always' | 'never'

/** 'deleted': a target file `mirror` removed because it is absent at the source. */
export type FileOutcome = 'copied' | 'skipped' | 'failed' | 'dry-run' | 'deleted'

/** How distcp splits the copy among its maps (-strategy). */
export type DistcpStrategy = 'dynamic' | 'uniformsize'

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

/** One file of a planned list: what the caller already knows about it, so nothing is listed or statted. */
export interface PlannedSourceFile {
  /** Path on the source filesystem. */
  path: string
  /**
   * Path on the target. Default: `path` itself with preserveStructure, its basename without
   * (there is no glob base to be relative to).
   */
  target?: string
  /** Bytes of the source file (progress totals, the overwrite policy's size check). */
  size: number
  /** Modification time (the overwrite policy's 'ifChanged' falls back on it). */
  mtime?: Date
}

/**
 * Files the caller has already planned (e.g. a copy job that listed its directories): transferFiles
 * copies exactly these, without listing or statting the source. Two files with one target are
 * refused (ERR_INVALID_ARG), as for patterns.
 */
export interface PlannedFiles {
  /** Where the files live (URL, config or FileSystem). Default: the local filesystem at '/'. */
  source?: FileSystemSpec
  planned: readonly PlannedSourceFile[]
}

export interface TransferOptions {
  /**
   * Paths or glob patterns on `source`, a source filesystem with its paths, or a planned list of
   * files (no planning at all).
   */
  files: string | readonly string[] | SourceFiles | PlannedFiles
  /** Where `files` live (URL, config or FileSystem). Default: the local filesystem at '/'. */
  source?: FileSystemSpec
  /** Where files go (URL, config or FileSystem). Paths are written relative to its root. */
  target: FileSystemSpec
  /** Default 'auto'. */
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
  /**
   * Plan and report without writing or deleting anything. Default false. With method 'distcp'
   * hadoop also checks the job without copying: it lists the sources and the target NameNode's
   * root over the addresses distcp would use (Apache DistCp has no -dryrun switch), and a file
   * whose check fails is reported failed.
   */
  dryRun?: boolean
  /**
   * Make the target root a mirror of the files: target files that are not among them (absent at
   * the source) are deleted, each reported with outcome 'deleted' (distcp gets `-update
   * -delete`; other methods delete through the target filesystem). Deletes happen only when no
   * copy failed. Refused with overwrite 'never' and with deleteSource. Default false.
   */
  mirror?: boolean
  /** distcp -m: maps run at once. Default: concurrency (at most one per file). */
  maps?: number
  /** distcp -strategy. Default 'dynamic'. */
  strategy?: DistcpStrategy
  /**
   * distcp -p: true preserves distcp's default set; a string of distcp's letters picks them
   * (r replication, b block size, u user, g group, p permission, c checksum type, a ACLs,
   * x XAttrs, t timestamps, e erasure coding policy), e.g. 'rbugp'. distcp (or auto) only;
   * the methods auto falls back to do not preserve.
   */
  preserve?: boolean | string
  /**
   * Total rate limit for the whole transfer: bytes per second, or a string like '50MB/s',
   * '512KiB/s', '100Mbit/s'. The storage method shares one token bucket across its concurrent
   * files; distcp gets it as -bandwidth (MB/s per map), scp as -l (Kbit/s per file).
   */
  bandwidthLimit?: number | string
  /**
   * Compress on the way (storage method only): the target is named with '.gz' / '.zst' added
   * and holds the compressed bytes.
   */
  compress?: Compression
  /**
   * Part size of the storage method's chunked copies: bytes, or a size like '64MiB' (64 KiB to
   * 4000 MiB; default 32 MiB). A file larger than this goes to a target with parallel parts (S3
   * multipart, GCS compose, Azure blocks, WebHDFS concat) in parts of this size, 4 at a
   * time; smaller files are written whole. Each store's limits win: S3 parts are at least
   * 5 MiB, and parts grow so no upload has more than the store's most parts (S3 10,000). Memory
   * is about chunkSize x 4 x concurrency. The storage method only (or 'auto').
   */
  chunkSize?: number | string
  hadoop?: HadoopOptions
  scp?: ScpOptions
  signal?: AbortSignal
  onProgress?: (progress: TransferProgress) => void
}

export interface FileReport {
  /** Path on the source filesystem. */
  source: string
  /** Path on the target filesystem. */
  target: string
  /** Bytes on the target (compressed bytes when `compress` is set). */
  bytes: number
  /** Bytes of the source file. */
  sourceBytes: number
  /** The method that copied the file (for a failure: the last one tried). */
  method: ConcreteMethod
  /** Copy attempts made, over all methods (0 when the file was skipped or only planned). */
  attempts: number
  /** Methods that were tried and did not copy the file, in order (auto's fallbacks). */
  methodsTried: MethodAttempt[]
  /** sha256 of the bytes on the target ('' when nothing was copied). */
  checksum: string
  durationMs: number
  outcome: FileOutcome
  /**
   * Set on the entries of `mirror`: a target file absent at the source (`source` is where it
   * would be, `bytes` its size on the target), with outcome 'deleted', 'dry-run' or 'failed'.
   */
  mirrorDelete?: true
  /** Why the file failed. */
  error?: Error
}

export interface TransferTotals {
  files: number
  copied: number
  skipped: number
  failed: number
  dryRun: number
  /** Target files `mirror` deleted. */
  deleted: number
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
  /** A listing of the target directory showed nothing at the target path. */
  targetAbsent?: boolean
}

