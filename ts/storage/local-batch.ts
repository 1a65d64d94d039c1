/**
 * Many files of this machine written in one batch (FileSystem backends on local disk): each is
 * copied to a staged file of its own while it is hashed (unnamed where the filesystem allows,
 * else a hidden temp name), then read back and published (linked or renamed under its final
 * name; no-clobber never replaces) only when it reads back as exactly the bytes read. The whole
 * batch is two native work items on the libuv pool, so a small file costs no promise, stat or
 * mkdir of its own. Each file succeeds or fails on its own.
 */
import type { FileSystem, LocalFileDigest } from './types.js'

export interface LocalBatchItem {
  /** The source file on this machine. */
  localPath: string
  /** Where it goes on the target. */
  path: string
  /**
   * The target is known to exist (the caller stat'ed it): with overwrite it is replaced without
   * first trying a link that would fail. Only a hint: a wrong one costs a system call, not data.
   */
  targetExists?: boolean
}

export interface LocalBatchOptions {
  /** Checksums of the bytes read to compute and return (sha256 is always computed). */
  checksums: readonly ('md5' | 'crc32c')[]
  /** Replace existing targets (false: a target that exists fails EEXIST). */
  overwrite: boolean
  /** Publish a file only when its temp name reads back as the bytes read (size and sha256). */
  verify: boolean
  /** Runs on the staged files (with what was read) before the read-back and the publish. */
  beforePublish?: (staged: readonly LocalStagedFile[]) => Promise<void>
  /**
   * Stage under hidden temp names even where the filesystem has unnamed temp files (what a
   * filesystem without them gets; for comparing the two).
   */
  namedStaging?: boolean
}

/** A file of the batch, staged and not yet published. */
export interface LocalStagedFile {
  /** The item's target path (where it is published). */
  path: string
  /**
   * Where this process opens the staged bytes until the publish: its hidden temp name, or
   * /proc/self/fd/N of an unnamed one (valid only in this process, until beforePublish returns).
   */
  localPath: string
  /** What was read from the source and hashed. */
  read: LocalFileDigest & { sha256: string }
}

/** One file's outcome. */
export interface LocalBatchResult {
  /** What was read from the source (absent when the copy failed before). */
  read?: LocalFileDigest & { sha256: string }
  /** The staged file as it read back (verify), when it was read back. */
  stored?: { bytes: number; sha256: string }
  /** The file is under its final name, complete (and verified, with verify). */
  published: boolean
  /** Why it failed (a StorageError); absent for a read-back that did not match. */
  error?: unknown
}

export interface LocalBatchWriter {
  writeLocalFiles(items: readonly LocalBatchItem[], options: LocalBatchOptions): Promise<LocalBatchResult[]>
}

/** The backend's batch writer, when it has one. */
export function localBatchWriter(fs: FileSystem): LocalBatchWriter | undefined {
  const w = (fs as FileSystem & Partial<LocalBatchWriter>).writeLocalFiles
  return typeof w === 'function' ? { writeLocalFiles: w.bind(fs) } : undefined
}
