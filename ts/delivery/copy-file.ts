/**
 * One file from a source filesystem to a target filesystem: streamed, or in parallel chunks when
 * the target has parallelParts and the source ranged reads; hashed on the way, verified with the
 * store (verify.ts), published atomically. transferFiles' storage method and uploadFile both copy
 * through here, so both get the same speed and the same verification.
 *
 * Publishing and verifying, one design: the copy asks the backend for its own atomic publish
 * and never adds a temp name of its own.
 * - Backends that publish by rename (capabilities.atomicPublish 'rename': local, WebHDFS, SFTP;
 *   the WebHDFS concat strategy) get the verification as a WriteOptions.beforePublish /
 *   CompleteOptions.beforePublish hook, which they run on their temp name, before the rename: a
 *   copy that fails it is never visible under the final name.
 * - Backends whose write is the publish ('atomic-write': S3, GCS, Azure, memory) are verified
 *   right after it, and a copy that fails is deleted. Their chunked uploads check every part
 *   before anything is published (S3 and Azure refuse a part whose Content-MD5 does not match,
 *   GCS parts are compared with their stored MD5), so only the assembly is checked afterwards.
 */
import type { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { BeginOptions, ChunkedUploadSession, ChunkedUploadStrategy, PartChecksums } from '../storage/chunked-strategy.js'
import { capabilitiesOf, localPathOf } from '../storage/capabilities.js'
import { localBatchWriter } from '../storage/local-batch.js'
import { StorageError, isStorageError } from '../storage/errors.js'
import { hdfsBlockMd5s } from '../storage/hdfs-checksum.js'
import { writtenObject, type WrittenObject } from '../storage/streams.js'
import type { FileSystem, PositionedReader, StagedWrite, WriteOptions } from '../storage/types.js'
import { createCompressor } from '../transfer/compression.js'
import { SHA256_KEY, SOURCE_SHA256_KEY } from '../transfer/metadata.js'
import { ThrottleStream, type TokenBucket } from '../transfer/throttle.js'
import type { Compression } from '../transfer/types.js'
import { native } from '../native.js'
import { isRetryable, retry, type RetryOptions } from './retry.js'
import { HashingStream, PartDigests, asVerifyFailure, compareWithStore, digestKindsFor, verifyFailed, type StreamDigest } from './verify.js'

/** Part size of chunked copies unless the caller says otherwise. */
export const DEFAULT_CHUNK_SIZE = 32 << 20

export interface CopyFileOptions {
  /** Compare what was stored with what was read (default true). */
  verify?: boolean
  /** Refuse to replace an existing target (EEXIST). */
  noClobber?: boolean
  signal?: AbortSignal
  /** Bytes copied so far (called per chunk or per part). */
  onBytes?: (n: number) => void
  /** Shared rate limit on the bytes written. */
  bucket?: TokenBucket
  compress?: Compression
  /** A listing just showed nothing at the target path (the write may skip its own checks). */
  targetAbsent?: boolean
  /**
   * Store the source's sha256 as `logferry-sha256` (`logferry-source-sha256` when compressed) on
   * targets with objectMetadata. It goes with the upload, so it costs a first pass over the source.
   */
  stampSha256?: boolean
  /** Chunked copies: bytes per part (none: always streamed). */
  chunkSize?: number
  /** Chunked copies: parts in flight (default 4). */
  concurrency?: number
  /** Chunked copies: this strategy instead of the target's own. */
  strategy?: ChunkedUploadStrategy
  /**
   * Chunked copies: the retry of one request (begin, a part); none: every request is tried once
   * (transferFiles retries whole files). `onRetry` gets the part index (undefined: begin).
   */
  partRetry?: Omit<RetryOptions, 'onRetry' | 'signal'> & { onRetry?: (err: unknown, attempt: number, part: number | undefined) => void }
  /** Chunked copies: compute the whole file's sha256 (in part order) even when nothing needs it. */
  sha256?: boolean
}

export interface CopyFileResult {
  /** Bytes read from the source (and their sha256, when computed). */
  source: { bytes: number; sha256?: string }
  /** Bytes written to the target (the same as `source` without compression). */
  target: { bytes: number; sha256?: string }
  /** 'stream' or the chunked strategy's name. */
  method: string
  parts: number
  /** Part size (0 for a streamed copy). */
  chunkSize: number
}

/** Copies `srcPath` on `source` to `dstPath` on `target` in one attempt (parts may be retried). */
export async function copyFile(source: FileSystem, srcPath: string, target: FileSystem, dstPath: string, o: CopyFileOptions = {}): Promise<CopyFileResult> {
  const strategy = o.compress ? undefined : o.strategy ?? capabilitiesOf(target).parallelParts
  if (strategy && o.chunkSize !== undefined && capabilitiesOf(source).rangedReads) {
    const size = (await source.stat(srcPath)).size
    const chunkSize = chunkSizeFor(target, strategy, size, o.chunkSize)
    if (size > chunkSize) return chunkedCopy(source, srcPath, size, target, dstPath, strategy, chunkSize, o)
  }
  return (await localCopy(source, srcPath, target, dstPath, o)) ?? streamCopy(source, srcPath, target, dstPath, o)
}

/** Checksums the native local pass computes (writeLocalFile; sha256 always; 'hdfs' only HDFS's). */
const LOCAL_COPY_KINDS: ReadonlySet<string> = new Set(['sha256', 'md5', 'crc32c', 'hdfs'])

/**
 * A file of this machine to a target that writes local files natively (writeLocalFile): one
 * native pass on the libuv pool reads, hashes and writes it, with no JS stream; it is verified
 * by the same rule, before the publish. Undefined when the copy needs a stream stage
 * (compression, throttling) or a checksum that pass does not compute.
 */
async function localCopy(source: FileSystem, srcPath: string, target: FileSystem, dstPath: string, o: CopyFileOptions): Promise<CopyFileResult | undefined> {
  const localPath = localPathOf(source, srcPath)
  if (localPath === undefined || !target.writeLocalFile || o.compress || o.bucket) return undefined
  const verify = o.verify ?? true
  // (A native write is one object: it states its MD5, never an MD5 of parts.)
  const kinds = verify ? [...digestKindsFor(target)].filter((k) => k !== 'md5-of-parts') : []
  if (!kinds.every((k) => LOCAL_COPY_KINDS.has(k))) return undefined
  o.signal?.throwIfAborted()
  let checked = false
  const check = async (path: string, d: StreamDigest, written?: WrittenObject): Promise<void> => {
    checked = true
    if (!verify) return
    const mismatch = await compareWithStore(target, path, d, written)
    if (mismatch !== undefined) throw verifyFailed(dstPath, mismatch)
  }
  // The stamp is the sha256 of the one read that is written: no pass of its own.
  const stamp = o.stampSha256 && capabilitiesOf(target).objectMetadata ? SHA256_KEY : undefined
  const read = await target.writeLocalFile(localPath, dstPath, {
    checksums: ['sha256', ...(kinds as ('md5' | 'crc32c' | 'hdfs')[])],
    overwrite: !o.noClobber,
    ...(stamp ? { sha256Metadata: stamp } : {}),
    ...(o.targetAbsent ? { knownAbsent: true } : {}),
    beforePublish: async (staged) => check(staged.path, staged.read ?? { bytes: -1 }, staged.written),
  })
  if (!checked) await verifyPublished(target, dstPath, (path, written) => check(path, read, written), read.written)
  o.onBytes?.(read.bytes)
  o.signal?.throwIfAborted()
  return { source: { bytes: read.bytes, sha256: read.sha256 }, target: { bytes: read.bytes, sha256: read.sha256 }, method: 'stream', parts: 1, chunkSize: 0 }
}

/** One file of a batch copy (copyLocalBatch). */
export interface BatchCopyFile {
  srcPath: string
  dstPath: string
  /** The target is known to exist (local-batch.ts LocalBatchItem.targetExists). */
  targetExists?: boolean
}

/**
 * A copier of many files at once from a source on this machine to a target that writes local
 * files in batches (local-batch.ts); undefined when these filesystems or options need the
 * per-file copy. It verifies by the same rule: a target that states no checksum of its own
 * (nativeChecksum.kinds empty) is compared by the size and sha256 of a read-back of its temp
 * name, before the publish, with the sha256 of the bytes read; so only such targets are batched.
 * Each file's outcome is its CopyFileResult or its error (ERR_VERIFY_FAILED for a mismatch).
 */
export function localBatchCopier(
  source: FileSystem,
  target: FileSystem,
  o: Pick<CopyFileOptions, 'verify' | 'noClobber' | 'compress' | 'bucket' | 'stampSha256'>,
): ((files: readonly BatchCopyFile[]) => Promise<(CopyFileResult | { error: unknown })[]>) | undefined {
  const writer = localBatchWriter(target)
  const verify = o.verify ?? true
  if (!writer || localPathOf(source, '') === undefined || o.compress || o.bucket) return undefined
  if (verify && digestKindsFor(target).size > 0) return undefined
  if (o.stampSha256 && capabilitiesOf(target).objectMetadata) return undefined
  return async (files) => {
    const results = await writer.writeLocalFiles(
      files.map((f) => ({ localPath: localPathOf(source, f.srcPath) as string, path: f.dstPath, targetExists: f.targetExists === true })),
      { checksums: [], overwrite: !o.noClobber, verify },
    )
    return results.map((r, i) => {
      const dstPath = (files[i] as BatchCopyFile).dstPath
      if (r.published && r.read) {
        const d = { bytes: r.read.bytes, sha256: r.read.sha256 }
        return { source: d, target: d, method: 'stream', parts: 1, chunkSize: 0 }
      }
      if (r.error !== undefined) return { error: r.error }
      if (r.read && r.stored) {
        const mismatch = r.stored.bytes !== r.read.bytes ? `size ${r.stored.bytes} on the target, ${r.read.bytes} bytes from the source` : `sha256 ${r.stored.sha256} on the target, ${r.read.sha256} from the source`
        return { error: verifyFailed(dstPath, mismatch) }
      }
      return { error: new StorageError('EIO', { backend: target.protocol, path: dstPath, detail: 'the batch write published nothing and said why not' }) }
    })
  }
}

/**
 * The part size of a chunked copy of `size` bytes: the requested one within the strategy's limits,
 * or smaller when a stream write of this size would be one the store states no checksum for
 * (capabilities.nativeChecksum.streamStatedMax): parts are each checked, a read-back is not needed.
 * A file no larger than the result is streamed.
 */
export function chunkSizeFor(target: FileSystem, strategy: ChunkedUploadStrategy, size: number, requested: number): number {
  const statedMax = capabilitiesOf(target).nativeChecksum.streamStatedMax
  const wanted = statedMax !== undefined && size > statedMax ? Math.min(requested, statedMax) : requested
  return Math.max(wanted, strategy.minPartSize, Math.ceil(size / strategy.maxParts))
}

async function stampFor(source: FileSystem, srcPath: string, target: FileSystem, o: CopyFileOptions): Promise<Record<string, string> | undefined> {
  if (!o.stampSha256 || !capabilitiesOf(target).objectMetadata) return undefined
  const sha = (await source.checksum(srcPath, 'sha256')).value
  return { [o.compress ? SOURCE_SHA256_KEY : SHA256_KEY]: sha }
}

function changedWhileCopied(srcPath: string, metadata: Record<string, string> | undefined, sha256: string | undefined): Error | undefined {
  const stamped = metadata?.[SHA256_KEY] ?? metadata?.[SOURCE_SHA256_KEY]
  if (stamped === undefined || sha256 === undefined || stamped === sha256) return undefined
  return verifyFailed(srcPath, `the source changed while it was copied (sha256 ${stamped} before, ${sha256} read)`)
}

/**
 * Verification after an 'atomic-write' publish (or when a rename backend did not run the hook):
 * a copy that fails it is removed.
 */
async function verifyPublished(target: FileSystem, dstPath: string, check: (path: string, written?: WrittenObject) => Promise<void>, written?: WrittenObject): Promise<void> {
  try {
    await check(dstPath, written)
  } catch (err) {
    await target.rm(dstPath).catch(() => undefined)
    throw err
  }
}

async function streamCopy(source: FileSystem, srcPath: string, target: FileSystem, dstPath: string, o: CopyFileOptions): Promise<CopyFileResult> {
  const verify = o.verify ?? true
  const kinds = verify ? digestKindsFor(target) : new Set<never>()
  const partSize = capabilitiesOf(target).nativeChecksum.streamPartSize
  // sha256 while streaming when it is asked for, or likely to decide (a target that states no
  // MD5, a compressed copy); otherwise a read-back comparison hashes the source again, then only.
  const sha256 = o.sha256 === true || o.compress !== undefined || !kinds.has('md5') || o.stampSha256 === true
  const srcHasher = new HashingStream(o.onBytes, o.compress ? new Set() : kinds, partSize, sha256)
  const dstHasher = o.compress ? new HashingStream(undefined, kinds, partSize) : srcHasher
  let src: StreamDigest | undefined
  let dst: StreamDigest | undefined
  const digests = (): { src: StreamDigest; dst: StreamDigest } => {
    src ??= srcHasher.digest()
    dst ??= o.compress ? dstHasher.digest() : src
    return { src, dst }
  }
  const metadata = await stampFor(source, srcPath, target, o)
  let checked = false
  const check = async (path: string, written?: WrittenObject): Promise<void> => {
    checked = true
    const d = digests()
    const changed = changedWhileCopied(srcPath, metadata, d.src.sha256)
    if (changed) throw changed
    if (!verify) return
    const mismatch = await compareWithStore(target, path, d.dst, written, async () => (await source.checksum(srcPath, 'sha256')).value)
    if (mismatch !== undefined) throw verifyFailed(dstPath, mismatch)
  }
  const byRename = capabilitiesOf(target).atomicPublish === 'rename'
  const options: WriteOptions = {
    overwrite: !o.noClobber,
    ...(metadata ? { metadata } : {}),
    ...(o.targetAbsent ? { knownAbsent: true } : {}),
    ...(byRename ? { beforePublish: (staged: StagedWrite) => check(staged.path, staged.written) } : {}),
  }
  const writer = target.createWriteStream(dstPath, options)
  const stages: (NodeJS.ReadableStream | Transform | NodeJS.WritableStream)[] = [source.createReadStream(srcPath), srcHasher]
  if (o.compress) stages.push(createCompressor(o.compress), dstHasher)
  if (o.bucket) stages.push(new ThrottleStream(o.bucket, o.signal))
  stages.push(writer)
  await pipeline(stages, o.signal ? { signal: o.signal } : {})
  if (!checked) await verifyPublished(target, dstPath, check, writtenObject(writer))
  const d = digests()
  return { source: { bytes: d.src.bytes, sha256: d.src.sha256 }, target: { bytes: d.dst.bytes, sha256: d.dst.sha256 }, method: 'stream', parts: 1, chunkSize: 0 }
}

/**
 * Feeds parts to a hash in part order while the workers read them in any order: a worker whose
 * part is next hashes it, the others wait for their turn holding their one buffer (memory stays
 * at one part per worker). A failure releases every waiter. The hashing runs on the libuv pool
 * (NativeHasher): the JS thread, which also drives the uploads, does not hash.
 */
class InOrderSha256 {
  private readonly sha = new native.NativeHasher(['sha256'])
  private next = 0
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: unknown) => void }>()
  private failure: unknown

  async feed(index: number, data: Buffer): Promise<void> {
    if (this.failure !== undefined) throw this.failure
    if (index !== this.next) await new Promise<void>((resolve, reject) => this.waiting.set(index, { resolve, reject }))
    await this.sha.update(data)
    this.next++
    const w = this.waiting.get(this.next)
    this.waiting.delete(this.next)
    w?.resolve()
  }

  fail(err: unknown): void {
    this.failure ??= err
    for (const w of this.waiting.values()) w.reject(err)
    this.waiting.clear()
  }

  digest(): string {
    return this.sha.digest().sha256 ?? ''
  }
}

/** Reads bytes [offset, offset + length) of a file into `buffer` (positioned reads where the source has them). */
async function readRange(source: FileSystem, path: string, reader: PositionedReader | undefined, offset: number, length: number, buffer: Buffer, signal?: AbortSignal): Promise<Buffer> {
  let got = 0
  if (reader) {
    while (got < length) {
      const n = await reader.read(buffer, got, length - got, offset + got)
      if (n === 0) break
      got += n
    }
  } else if (length > 0) {
    for await (const chunk of source.createReadStream(path, { start: offset, end: offset + length - 1 })) {
      signal?.throwIfAborted()
      const c = chunk as Buffer
      const take = Math.min(c.length, length - got)
      c.copy(buffer, got, 0, take)
      got += take
      if (got >= length) break
    }
  }
  if (got < length) throw new StorageError('EIO', { backend: source.protocol, path, detail: 'the file shrank while it was copied' })
  return buffer.subarray(0, length)
}

/** A part's checksums, MD5 and CRC32C hashed in one pass on the libuv pool. */
async function partChecksums(strategy: ChunkedUploadStrategy, data: Buffer): Promise<PartChecksums> {
  const crc = strategy.partChecksums?.includes('crc32c') === true
  const kinds = [...(strategy.partMd5 === false ? [] : ['md5']), ...(crc ? ['crc32c'] : [])]
  const sums: PartChecksums = {}
  if (kinds.length > 0) {
    const d = await native.hashBuffer(data, kinds)
    if (d.md5 !== undefined && d.md5 !== null) sums.md5 = Buffer.from(d.md5, 'hex')
    if (crc) sums.crc32c = Number.parseInt(d.crc32c ?? '0', 16) >>> 0
  }
  if (strategy.partChecksums?.includes('hdfs')) sums.hdfsBlockMd5s = hdfsBlockMd5s(data, strategy.hdfsBlockSize)
  return sums
}

async function chunkedCopy(
  source: FileSystem,
  srcPath: string,
  size: number,
  target: FileSystem,
  dstPath: string,
  strategy: ChunkedUploadStrategy,
  chunkSize: number,
  o: CopyFileOptions,
): Promise<CopyFileResult> {
  const verify = o.verify ?? true
  const signal = o.signal
  const parts = Math.ceil(size / chunkSize)
  const concurrency = Math.max(1, o.concurrency ?? 4)
  // The stamp's own pass over the source runs while the workers read and hash their first parts;
  // only the session's begin (which must carry the stamp) waits for it.
  const stamp = stampFor(source, srcPath, target, o)
  stamp.catch(() => undefined)
  const stamped = o.stampSha256 === true && capabilitiesOf(target).objectMetadata
  let metadata: Record<string, string> | undefined
  if (o.noClobber && !o.targetAbsent && (await target.exists(dstPath))) throw new StorageError('EEXIST', { backend: target.protocol, path: dstPath })
  const requestRetry = (part: number | undefined): RetryOptions => {
    const r = o.partRetry
    if (!r) return { retries: 0, retryDelay: 0, signal }
    return { ...r, signal, onRetry: (err, attempt) => r.onRetry?.(err, attempt, part) }
  }
  let sha256: string | undefined
  // A chunked upload is two operations, the session and its parts. A part the store no longer
  // knows ('no such upload' after a restart) means the session is lost; so does a part that still
  // fails after its own retries (partRetry: moto answers a lost upload with a 500). Then the whole
  // upload is begun again, once (docs/delivery.md, "Retries": at most 2 x (retries + 1) tries of
  // one part). Without partRetry the caller retries the whole file, which begins a new session.
  let lost = false
  const sessionLost = (err: unknown): never => {
    lost ||= isStorageError(err, 'ENOENT') || (o.partRetry !== undefined && isRetryable(err))
    throw err
  }
  const reader = source.openPositioned ? await source.openPositioned(srcPath) : undefined
  try {
    await retry(
      async () => {
        lost = false
        const opening = stamp.then(async (m) => {
          metadata = m
          const begin: BeginOptions = m ? { metadata: m } : {}
          return (await retry(() => strategy.begin(dstPath, size, begin), requestRetry(undefined))).value
        })
        opening.catch(() => undefined)
        const digests = new PartDigests()
        const ordered = stamped || o.sha256 ? new InOrderSha256() : undefined
        try {
          await uploadParts(opening, digests, ordered)
          const session = await opening
          signal?.throwIfAborted()
          const now = reader ? await reader.size() : (await source.stat(srcPath)).size
          if (now !== size) throw new StorageError('EIO', { backend: source.protocol, path: srcPath, detail: 'the file changed size while it was copied' })
          sha256 = ordered?.digest()
          const changed = changedWhileCopied(srcPath, metadata, sha256)
          if (changed) throw changed
          const expected = digests.digest(parts, size, sha256, strategy.hdfsBlockSize)
          // Where the store states nothing about the assembly, a read-back is compared with a
          // second, sequential pass over the source (only then).
          const sourceSha = async (): Promise<string> => sha256 ?? (await source.checksum(srcPath, 'sha256')).value
          let checked = false
          const check = async (path: string, written?: WrittenObject): Promise<void> => {
            checked = true
            if (!verify) return
            const mismatch = await compareWithStore(target, path, expected, written, sourceSha)
            if (mismatch !== undefined) throw verifyFailed(dstPath, mismatch)
          }
          const written = await session
            .complete(parts, { beforePublish: (staged) => check(staged.path, staged.written) })
            .catch((err: unknown) => sessionLost(asVerifyFailure(err, dstPath)))
          if (!checked) await verifyPublished(target, dstPath, check, written ?? undefined)
        } catch (err) {
          await (await opening.catch(() => undefined))?.abort()
          throw err
        }
      },
      { retries: 1, retryDelay: 0, signal, retryable: () => lost },
    )
  } finally {
    await reader?.close()
  }
  return { source: { bytes: size, ...(sha256 !== undefined ? { sha256 } : {}) }, target: { bytes: size, ...(sha256 !== undefined ? { sha256 } : {}) }, method: strategy.name, parts, chunkSize }

  async function uploadParts(opening: Promise<ChunkedUploadSession>, digests: PartDigests, ordered: InOrderSha256 | undefined): Promise<void> {
    let next = 0
    let failed = false
    const worker = async (): Promise<void> => {
      const buffer = Buffer.allocUnsafe(chunkSize)
      while (!failed && next < parts) {
        signal?.throwIfAborted()
        const index = next++
        const offset = index * chunkSize
        const data = await readRange(source, srcPath, reader, offset, Math.min(chunkSize, size - offset), buffer, signal)
        // The checksums of the bytes read, before anything can alter them on the way.
        const sums = await partChecksums(strategy, data)
        digests.add(index, sums, data.length)
        if (o.bucket) await o.bucket.take(data.length, signal)
        // allSettled: a hash that fails (another worker's failure releases it) must not end this
        // worker while its part is still being uploaded, or the abort could run before the part lands.
        const done = await Promise.allSettled([
          ordered?.feed(index, data),
          // (A failed begin is not a lost session: it reaches the caller as it is.)
          opening.then((session) => retry(() => session.uploadPart(index, data, sums), requestRetry(index)).catch((err: unknown) => sessionLost(asVerifyFailure(err, dstPath)))),
        ])
        const failure = done.find((r): r is PromiseRejectedResult => r.status === 'rejected')
        if (failure) throw failure.reason
        o.onBytes?.(data.length)
      }
    }
    // allSettled: on a failure the other workers finish their current part (and stop) before
    // the abort, so no part is created after the cleanup.
    const settled = await Promise.allSettled(
      Array.from({ length: Math.min(concurrency, parts) }, () =>
        worker().catch((err: unknown) => {
          failed = true
          ordered?.fail(err)
          throw err
        }),
      ),
    )
    const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failure) throw failure.reason
  }
}
