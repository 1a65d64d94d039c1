import type { Readable, Writable } from 'node:stream'
import type { ChunkedUploadStrategy } from './chunked-strategy.js'
import type { WrittenObject } from './streams.js'

export type EntryKind = 'file' | 'directory'

/** What `stat` and `ls` report about one entry. Paths are relative to the filesystem root. */
export interface FileInfo {
  /** Normalised path relative to the filesystem root, no leading slash ('' is the root). */
  path: string
  /** Last path component. */
  name: string
  kind: EntryKind
  /** Size in bytes (0 for directories). */
  size: number
  mtime?: Date
  /** The backend's entity tag or content hash, when it has one. */
  etag?: string
  /** HDFS block size of the file (WebHDFS only): needed to compute HDFS's file checksum. */
  blockSize?: number
  /** User metadata of an object (S3, GCS, Azure; from `stat` only, not from `ls`). */
  metadata?: Record<string, string>
  /** MD5 (hex) of the content, when the stat states it (capability nativeChecksum 'md5'). */
  md5?: string
  /**
   * `<md5 of the parts' MD5s>-<parts>` (hex), when the stat states it for an object assembled from
   * parts (capability nativeChecksum 'md5-of-parts').
   */
  md5OfParts?: string
  /** CRC32C (8 hex digits, big-endian) of the content, when the stat states it ('crc32c'). */
  crc32c?: string
}

export interface LsOptions {
  /** List the whole subtree (files and directories), not just direct children. */
  recursive?: boolean
}

export interface MkdirOptions {
  /** Create missing ancestors and accept an existing directory (like `mkdir -p`). */
  parents?: boolean
}

export interface RmOptions {
  /** Remove a directory and everything below it. */
  recursive?: boolean
}

export interface ReadStreamOptions {
  /** First byte to read (inclusive, default 0). */
  start?: number
  /** Last byte to read (inclusive, like `fs.createReadStream`; default end of file). */
  end?: number
}

export interface WriteOptions {
  /** Replace an existing file (default true). When false an existing target gives EEXIST. */
  overwrite?: boolean
  /**
   * The caller has just seen (or made sure, e.g. with a fresh temporary name) that nothing is at
   * the path and that its parent is not a file: the write skips the requests that would check it
   * again (existence, directory, parent). Missing parents are still created.
   */
  knownAbsent?: boolean
  /**
   * User metadata stored with the object where the backend has object metadata (S3 `Metadata`,
   * GCS `metadata`, Azure blob metadata); ignored by local, memory, WebHDFS and SFTP. Keys are
   * lower-case ASCII letters, digits and '-' (Azure, whose names are C# identifiers, stores a '-'
   * as '_' and `stat` gives it back as '-').
   */
  metadata?: Record<string, string>
  /**
   * Only for backends whose capabilities.atomicPublish is 'rename': called once every byte is
   * stored under the hidden temp name and before it is renamed to `path`. A rejection aborts the
   * write (the temp is removed, nothing is published) and is what the write fails with, unchanged.
   * This is how a copy is verified before anyone can read it (docs/delivery.md, "Verification").
   * Backends whose write is itself the publish ('atomic-write') never call it.
   */
  beforePublish?: (staged: StagedWrite) => Promise<void>
}

/** An open file read at any position. */
export interface PositionedReader {
  /** Reads up to `length` bytes at `position` into `buffer` at `offset`; 0 at the end of the file. */
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>
  /** The file's size now. */
  size(): Promise<number>
  close(): Promise<void>
}

/** A write whose bytes are stored but not yet visible under their final name. */
export interface StagedWrite {
  /** Where the bytes are now (a hidden temp sibling, relative to the filesystem root). */
  path: string
  /** What the store answered the write with, if anything. */
  written?: WrittenObject
  /** What a native local write (writeLocalFile) read from its source and hashed. */
  read?: LocalFileDigest
}

/**
 * Checksums a store keeps or computes itself, so that a copy can be compared with one computed
 * while streaming, without reading the copy back:
 * - 'md5': MD5 of the content (`FileInfo.md5` when `inStat`, else `checksum(p, 'native')`).
 * - 'md5-of-parts': for objects assembled from parts, MD5 of the parts' MD5s and the part count.
 * - 'crc32c': CRC32C of the content (`FileInfo.crc32c`).
 * - 'hdfs': HDFS's MD5-of-MD5-of-CRC32C file checksum (`checksum(p, 'native')`, hdfs-checksum.ts).
 * - 'sha256': `checksum(p, 'sha256')` is computed by the server (SFTP sha256sum), not read back.
 */
export type NativeChecksumKind = 'md5' | 'md5-of-parts' | 'crc32c' | 'hdfs' | 'sha256'

/**
 * What a backend can do, declared by the backend itself: code above the backends (transfer, the
 * delivery core, the uploader) decides from these, never from `protocol`.
 */
export interface FileSystemCapabilities {
  /**
   * How a write becomes visible. 'rename': the backend writes a hidden temp name and renames it
   * into place (WriteOptions.beforePublish runs in between). 'atomic-write': the store's own
   * commit (one PUT, a multipart/resumable/block commit, a memory swap) publishes all bytes at
   * once; there is no moment before it to verify in, so a copy that fails verification is removed.
   */
  readonly atomicPublish: 'rename' | 'atomic-write'
  /** `mv` is a real rename (no copy of the bytes). */
  readonly rename: boolean
  readonly nativeChecksum: {
    /** Empty: nothing but a read-back states what is stored. */
    readonly kinds: readonly NativeChecksumKind[]
    /** `stat` already carries them (FileInfo md5 / md5OfParts / crc32c): no second request. */
    readonly inStat: boolean
    /** Part size of the backend's own multipart stream writes ('md5-of-parts' of a streamed object). */
    readonly streamPartSize?: number
    /**
     * Largest stream write the store states a checksum for (Azure: one Put Blob); a larger one
     * states nothing, so copies that large go in parallel parts where they can (each part is
     * checked), else are read back. Absent: any size.
     */
    readonly streamStatedMax?: number
  }
  /** Keeps user metadata with an object (WriteOptions.metadata, FileInfo.metadata). */
  readonly objectMetadata: boolean
  /** `createReadStream` with start/end reads only that range (no read from the beginning). */
  readonly rangedReads: boolean
  /** The parallel chunked upload strategy, or undefined when writes are streams only. */
  readonly parallelParts: ChunkedUploadStrategy | undefined
  /**
   * The directory of this machine the filesystem's paths are under (local disk): external tools
   * and native copies address its files there directly. Absent: its files are not local.
   */
  readonly localRoot?: string
  /**
   * How external tools (hadoop, scp) address this filesystem, when they can; absent: they
   * cannot. Backends on a local directory are addressed by `localRoot` instead.
   */
  readonly toolAddress?: ToolAddress
}

/**
 * Where an external tool finds a filesystem: 'hadoop', a Hadoop FileSystem URI base
 * (`webhdfs://host:port`, `swebhdfs://...`) with its root, user and, when the filesystem knows
 * it, its NameNode's RPC address (`rpcUri`, 'hdfs://host:port', which hadoop's own HDFS client
 * prefers); 'ssh', an SSH host that scp writes to.
 */
export type ToolAddress =
  | { readonly kind: 'hadoop'; readonly uri: string; readonly root: string; readonly user?: string; readonly rpcUri?: string }
  | { readonly kind: 'ssh'; readonly host: string; readonly port: number; readonly username?: string; readonly privateKeyPath?: string; readonly root: string }

/** What a native local write read and hashed (WriteLocalFile). */
export interface LocalFileDigest {
  bytes: number
  sha256?: string
  md5?: string
  crc32c?: string
  /** HDFS's file checksum of the bytes read, for this block size (checksums 'hdfs'). */
  hdfs?: { blockSize: number; md5: string }
  /** What the store answered the write with (object stores, whose write is the publish). */
  written?: WrittenObject
}

/** Options of FileSystem.writeLocalFile. */
export interface LocalWriteOptions extends WriteOptions {
  /** Checksums of the bytes read to compute and return ('hdfs': only backends stating that kind). */
  checksums: readonly ('sha256' | 'md5' | 'crc32c' | 'hdfs')[]
  /**
   * Backends with objectMetadata: also store the sha256 of the bytes read under this metadata key
   * (the `logferry-sha256` stamp from the same read, not from a pass of its own).
   */
  sha256Metadata?: string
}

/** Room for new data where a path lives, as far as the store tells (FileSystem.space). */
export interface SpaceInfo {
  /** Bytes free for new data on the volume or cluster holding the path. */
  free?: number
  /** Size of that volume or cluster. */
  total?: number
  /** Bytes a space quota on the path still allows, when one is set. */
  quotaRemaining?: number
}

export type ChecksumAlgorithm = 'sha256' | 'md5' | 'native'

export interface Checksum {
  /** 'sha256' / 'md5' of the content, or the backend's own name for a native checksum. */
  algorithm: string
  value: string
}

/**
 * One interface over every storage. Writes are published atomically where the backend allows
 * (temp + rename, multipart/resumable/block commit): a failed write leaves no partial object.
 * Writes create missing parent directories. All failures are `StorageError`s.
 */
export interface FileSystem {
  /** 'file', 'memory', 's3', 'gs', 'az', 'webhdfs' or 'sftp' (for messages and URLs only). */
  readonly protocol: string
  /** What this backend can do (see FileSystemCapabilities). */
  readonly capabilities: FileSystemCapabilities
  ls(path: string, options?: LsOptions): Promise<FileInfo[]>
  stat(path: string): Promise<FileInfo>
  exists(path: string): Promise<boolean>
  mkdir(path: string, options?: MkdirOptions): Promise<void>
  rm(path: string, options?: RmOptions): Promise<void>
  mv(from: string, to: string): Promise<void>
  cp(from: string, to: string): Promise<void>
  createReadStream(path: string, options?: ReadStreamOptions): Readable
  /**
   * Positioned reads into the caller's buffers (local disk): chunked copies read their parts
   * with it, with no allocation per read. Backends without it are read by ranged streams.
   */
  openPositioned?(path: string): Promise<PositionedReader>
  createWriteStream(path: string, options?: WriteOptions): Writable
  put(localPath: string, remotePath: string, options?: WriteOptions): Promise<void>
  /**
   * Writes the file `localPath` of this machine to `path` in one native pass off the JS thread
   * (read, hash with `checksums`, write the temp name, WriteOptions.beforePublish, publish):
   * what a streamed write of it does, without a stream per file. Backends on local disk, and the
   * object stores (the file hashed on the libuv pool and sent as one request; its answer in `written`).
   */
  writeLocalFile?(localPath: string, path: string, options: LocalWriteOptions): Promise<LocalFileDigest>
  get(remotePath: string, localPath: string): Promise<void>
  readFile(path: string, options?: ReadStreamOptions): Promise<Buffer>
  writeFile(path: string, data: string | Uint8Array, options?: WriteOptions): Promise<void>
  /** Paths (files and directories) matching a pattern with `*`, `?`, `**`, `[...]` and `{a,b}`. */
  glob(pattern: string): Promise<string[]>
  checksum(path: string, algorithm?: ChecksumAlgorithm): Promise<Checksum>
  /**
   * Backends that need credentials: undefined when they have some to try, else a sentence
   * naming every option, variable and file they looked in. Callers check before their first
   * copy, so missing credentials are one clear error rather than a failure per file.
   */
  missingCredentials?(): Promise<string | undefined>
  /**
   * Backends that can tell how much may still be written at `path` (or where it would be
   * created): local disk (statfs), HDFS (the cluster's free space and a space quota). Backends
   * without a limit to tell (object stores) leave it out.
   */
  space?(path: string): Promise<SpaceInfo>
  /** Releases connections. The filesystem must not be used afterwards. */
  close(): Promise<void>
}
