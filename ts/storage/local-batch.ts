/**
 * Many files of this machine written in one batch (FileSystem backends on local disk): each is
 * copied to its own temp name while it is hashed, then read back by that name and published
 * (renamed, or linked for no-clobber) only when it reads back as exactly the bytes read. The
 * whole batch is two native work items on the libuv pool, so a small file costs no promise,
 * stat or mkdir of its own. Each file succeeds or fails on its own.
 */
import type { FileSystem, LocalFileDigest, StagedWrite } from './types.js'

export interface LocalBatchItem {
  /** The source file on this machine. */
  localPath: string
  /** Where it goes on the target. */
  path: string
}

export interface LocalBatchOptions {
  /** Checksums of the bytes read to compute and return (sha256 is always computed). */
  checksums: readonly ('md5' | 'crc32c')[]
  /** Replace existing targets (false: a target that exists fails EEXIST). */
  overwrite: boolean
  /** Publish a file only when its temp name reads back as the bytes read (size and sha256). */
  verify: boolean
  /** Runs on the staged temp names (with what was read) before the read-back and the publish. */
  beforePublish?: (staged: readonly StagedWrite[]) => Promise<void>
}

/** One file's outcome. */
export interface LocalBatchResult {
  /** What was read from the source (absent when the copy failed before). */
  read?: LocalFileDigest & { sha256: string }
  /** The temp file as it read back (verify), when it was read back. */
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
