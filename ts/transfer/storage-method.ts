/** The 'storage' method: streams one file through the storage layer, verifies, publishes atomically. */
import type { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { StorageError, writtenObject, type FileSystem } from '../storage/index.js'
import { tempSibling } from '../storage/path.js'
import { HashingStream, usesMd5, verifyWritten, type StreamDigest } from './checksums.js'
import { createCompressor } from './compression.js'
import { TransferError } from './errors.js'
import { SHA256_KEY, SOURCE_SHA256_KEY, hasObjectMetadata } from './metadata.js'
import { perFile, type TransferMethodImpl } from './method.js'
import { ThrottleStream, type TokenBucket } from './throttle.js'
import type { Compression } from './types.js'

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
  /** Shared rate limit on the bytes written. */
  bucket?: TokenBucket
  compress?: Compression
  /** A listing just showed nothing at the target path (the write may skip its own checks). */
  targetAbsent?: boolean
}

export interface StorageCopy {
  /** What was read from the source. */
  source: StreamDigest
  /** What was written to the target (the same as `source` without compression). */
  target: StreamDigest
}

async function removeQuietly(fs: FileSystem, path: string): Promise<void> {
  await fs.rm(path).catch(() => undefined)
}

/**
 * Copies `srcPath` on `source` to `dstPath` on `target` in one attempt. Where the target can
 * rename, the content goes to a hidden temp sibling, is verified there and then moved into place,
 * so a reader never sees a partial or corrupt file. Elsewhere the backend's write is itself atomic
 * (single PUT or multipart/block commit), and a copy that fails verification is removed. Targets
 * with object metadata get the source's sha256 as `logferry-sha256` (`logferry-source-sha256`
 * when compressed), hashed in a first pass over the source because metadata goes with the upload.
 */
export async function copyWithStorage(
  source: FileSystem,
  srcPath: string,
  target: FileSystem,
  dstPath: string,
  o: CopyOptions,
): Promise<StorageCopy> {
  const rename = canRename(target)
  const writePath = rename ? tempSibling(dstPath) : dstPath
  const hdfs = target.protocol === 'webhdfs'
  const md5 = usesMd5(target)
  const srcHasher = new HashingStream(o.onBytes, { hdfs: hdfs && !o.compress, md5: md5 && !o.compress })
  const dstHasher = o.compress ? new HashingStream(undefined, { hdfs, md5 }) : srcHasher
  let metadata: Record<string, string> | undefined
  if (hasObjectMetadata(target)) {
    const sha = (await source.checksum(srcPath, 'sha256')).value
    metadata = { [o.compress ? SOURCE_SHA256_KEY : SHA256_KEY]: sha }
  }
  let written = false
  try {
    const writer = target.createWriteStream(writePath, {
      overwrite: rename ? true : !o.noClobber,
      ...(metadata ? { metadata } : {}),
      // A fresh temp name is absent by construction; the target itself only on the first attempt
      // after a listing showed it absent (a retry may follow a write whose answer was lost).
      ...(rename || o.targetAbsent ? { knownAbsent: true } : {}),
    })
    written = true
    const stages: (NodeJS.ReadableStream | Transform | NodeJS.WritableStream)[] = [source.createReadStream(srcPath), srcHasher]
    if (o.compress) stages.push(createCompressor(o.compress), dstHasher)
    if (o.bucket) stages.push(new ThrottleStream(o.bucket, o.signal))
    stages.push(writer)
    await pipeline(stages, o.signal ? { signal: o.signal } : {})
    const src = srcHasher.digest()
    const dst = o.compress ? dstHasher.digest() : src
    const stamped = metadata?.[SHA256_KEY] ?? metadata?.[SOURCE_SHA256_KEY]
    if (stamped !== undefined && stamped !== src.sha256) {
      throw new TransferError('ERR_VERIFY_FAILED', `'${srcPath}' changed while it was copied (sha256 ${stamped} before, ${src.sha256} streamed)`)
    }
    if (o.verify) {
      const mismatch = await verifyWritten(target, writePath, dst, writtenObject(writer))
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
    return { source: src, target: dst }
  } catch (err) {
    // Leave nothing behind: the temp sibling, or an object that failed verification.
    if (written && (rename || (err instanceof TransferError && err.code === 'ERR_VERIFY_FAILED'))) {
      await removeQuietly(target, writePath)
    }
    throw err
  }
}

export const storageMethod: TransferMethodImpl = {
  name: 'storage',
  inapplicable: () => undefined,
  prepare: () => undefined,
  run: (files, ctx) =>
    perFile(files, ctx, async (f, addBytes, attempt) => {
      const { o } = ctx
      const r = await copyWithStorage(o.source, f.source, o.target, f.target, {
        verify: o.verify,
        noClobber: o.overwrite === 'never',
        signal: o.signal,
        onBytes: addBytes,
        bucket: ctx.bucket,
        compress: o.compress,
        targetAbsent: f.targetAbsent === true && attempt === 1,
      })
      return { bytes: r.target.bytes, checksum: r.target.sha256 }
    }),
}
