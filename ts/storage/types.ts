import type { Readable, Writable } from 'node:stream'

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
  /** 'file', 'memory', 's3', 'gs', 'az', 'webhdfs' or 'sftp'. */
  readonly protocol: string
  ls(path: string, options?: LsOptions): Promise<FileInfo[]>
  stat(path: string): Promise<FileInfo>
  exists(path: string): Promise<boolean>
  mkdir(path: string, options?: MkdirOptions): Promise<void>
  rm(path: string, options?: RmOptions): Promise<void>
  mv(from: string, to: string): Promise<void>
  cp(from: string, to: string): Promise<void>
  createReadStream(path: string, options?: ReadStreamOptions): Readable
  createWriteStream(path: string, options?: WriteOptions): Writable
  put(localPath: string, remotePath: string, options?: WriteOptions): Promise<void>
  get(remotePath: string, localPath: string): Promise<void>
  readFile(path: string, options?: ReadStreamOptions): Promise<Buffer>
  writeFile(path: string, data: string | Uint8Array, options?: WriteOptions): Promise<void>
  /** Paths (files and directories) matching a pattern with `*`, `?`, `**`, `[...]` and `{a,b}`. */
  glob(pattern: string): Promise<string[]>
  checksum(path: string, algorithm?: ChecksumAlgorithm): Promise<Checksum>
  /** Releases connections. The filesystem must not be used afterwards. */
  close(): Promise<void>
}
