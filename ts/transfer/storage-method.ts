/** The 'storage' method: streams one file through the storage layer, verifies, publishes atomically. */
import { pipeline } from 'node:stream/promises'
import { StorageError, type FileSystem } from '../storage/index.js'
import { tempSibling } from '../storage/path.js'
import { HashingStream, verifyWritten, type StreamDigest } from './checksums.js'
import { TransferError } from './errors.js'

/** Backends with a real rename: a temp sibling is written and then moved into place. */
const RENAMABLE = new Set(['file', 'local', 'webhdfs', 'sftp'])

export function canRename(fs: FileSystem): boolean {
  return RENAMABLE.has(fs.protocol)
}

export interface CopyOptions {
  verify: boolean
  /** Refuse to replace an existing target (the write fails with EEXIST). */
  noClobber: boolean
  signal?: AbortSignal
  /** Bytes streamed so far in this attempt (called per chunk). */
  onBytes?: (n: number) => void
}

async function removeQuietly(fs: FileSystem, path: string): Promise<void> {
  await fs.rm(path).catch(() => undefined)
}

/**
 * Copies `srcPath` on `source` to `dstPath` on `target` in one attempt. Where the target can
 * rename, the content goes to a hidden temp sibling, is verified there and then moved into place,
 * so a reader never sees a partial or corrupt file. Elsewhere the backend's write is itself atomic
 * (single PUT or multipart/block commit), and a copy that fails verification is removed.
 */
export async function copyWithStorage(
  source: FileSystem,
  srcPath: string,
  target: FileSystem,
  dstPath: string,
  o: CopyOptions,
): Promise<StreamDigest> {
  const rename = canRename(target)
  const writePath = rename ? tempSibling(dstPath) : dstPath
  const hasher = new HashingStream(o.onBytes)
  let written = false
  try {
    const writer = target.createWriteStream(writePath, { overwrite: rename ? true : !o.noClobber })
    written = true
    await pipeline(source.createReadStream(srcPath), hasher, writer, o.signal ? { signal: o.signal } : {})
    const digest = hasher.digest()
    if (o.verify) {
      const mismatch = await verifyWritten(target, writePath, digest)
      if (mismatch !== undefined) {
        throw new TransferError('ERR_VERIFY_FAILED', `verification of '${dstPath}' failed: ${mismatch}`)
      }
    }
    if (rename) {
      if (o.noClobber && (await target.exists(dstPath))) {
        throw new StorageError('EEXIST', { backend: target.protocol, path: dstPath })
      }
      await target.mv(writePath, dstPath)
    }
    return digest
  } catch (err) {
    // Leave nothing behind: the temp sibling, or an object that failed verification.
    if (written && (rename || (err instanceof TransferError && err.code === 'ERR_VERIFY_FAILED'))) {
      await removeQuietly(target, writePath)
    }
    throw err
  }
}
