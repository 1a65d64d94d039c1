/**
 * A fault-injecting store: a wrapper over a real backend that flips one byte of what it
 * publishes, in the write stream, in the staged file of a native local write (or of each in a
 * batch of them, named or unnamed) and, for chunked
 * uploads, in one part. Everything else (the server, its answers, its checksums) is real.
 */
import { createHash } from 'node:crypto'
import { closeSync, copyFileSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Writable, finished } from 'node:stream'
import { crc32cOf } from '../../ts/delivery/verify.js'
import { localPathOf } from '../../ts/storage/capabilities.js'
import type { LocalBatchItem, LocalBatchOptions, LocalBatchWriter } from '../../ts/storage/local-batch.js'
import { HdfsChecksumHasher, hdfsBlockMd5s, type ChunkedUploadStrategy, type FileSystem, type PartChecksums } from '../../ts/storage/index.js'

/** Where bytes were flipped (write streams by path, parts as `part <i> of <path>`). */
export type FlipLog = string[]

/**
 * Runs `write` on a temporary copy of `localPath` with the byte at `at` flipped (logged as
 * `path`), then removes the copy: a write that sends a local file sends the flipped bytes.
 */
async function fromFlippedCopy<T>(localPath: string, at: number, log: FlipLog, path: string, write: (flipped: string) => Promise<T>): Promise<T> {
  const flipped = join(mkdtempSync(join(tmpdir(), 'logferry-flip-')), 'f')
  try {
    copyFileSync(localPath, flipped)
    flipOnDisk(flipped, at)
    log.push(path)
    return await write(flipped)
  } finally {
    rmSync(dirname(flipped), { recursive: true, force: true })
  }
}

/** Flips the byte at `at` of the stream (or its last byte when shorter) before `inner` sees it. */
function flippingStream(inner: Writable, at: number, onFlip: () => void): Writable {
  let seen = 0
  let flipped = false
  let last: Buffer | undefined
  const flip = (c: Buffer, i: number): Buffer => {
    const copy = Buffer.from(c)
    copy[i] = (copy[i] ?? 0) ^ 0x5a
    flipped = true
    onFlip()
    return copy
  }
  // A write that fails because `inner` already failed on its own reports inner's error (what the
  // caller sees without this wrapper), not ERR_STREAM_DESTROYED.
  const why = (err: Error | null | undefined): Error | null => (err ? ((inner.errored as Error | null) ?? err) : null)
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      let c = chunk
      if (!flipped && seen + c.length > at) c = flip(c, at - seen)
      seen += chunk.length
      // Hold the last chunk back, so a stream shorter than `at` gets its last byte flipped.
      const prev = last
      last = c
      if (!prev) return cb()
      inner.write(prev, (err) => cb(why(err)))
    },
    final(cb) {
      const end = (): void => {
        inner.end()
        finished(inner, (err) => cb(why(err)))
      }
      if (!last) return end()
      const c = flipped || last.length === 0 ? last : flip(last, last.length - 1)
      inner.write(c, (err) => (err ? cb(why(err)) : end()))
    },
    destroy(err, cb) {
      inner.destroy(err ?? undefined)
      cb(err)
    },
  })
  // inner failing between writes (a connection reset) fails this stream with that error; without
  // a listener it was an uncaught exception of the test run.
  inner.on('error', (err) => out.destroy(err))
  return out
}

export interface FlipOptions {
  /** Which target paths get a flipped byte (default: all). */
  match?: (path: string) => boolean
  /** Offset of the flipped byte in a write stream (default 1000). */
  at?: number
  /** Which part of a chunked upload gets a flipped byte (default 1). */
  part?: number
  /**
   * Also hand the backend checksums of the flipped part (as if the part had been hashed after
   * the damage): the per-part checks then pass, and only the whole-object check can catch it.
   */
  lyingSums?: boolean
}

/** Recomputes what a strategy's part checks use, from (damaged) bytes. */
function sumsOf(strategy: ChunkedUploadStrategy, data: Buffer): PartChecksums {
  const sums: PartChecksums = { md5: createHash('md5').update(data).digest() }
  if (strategy.partChecksums?.includes('crc32c')) sums.crc32c = crc32cOf(data)
  if (strategy.partChecksums?.includes('hdfs')) sums.hdfsBlockMd5s = hdfsBlockMd5s(data, strategy.hdfsBlockSize)
  return sums
}

/** A real strategy whose part `o.part` arrives at the store with one byte flipped. */
export function flippingStrategy(inner: ChunkedUploadStrategy, log: FlipLog, o: FlipOptions = {}): ChunkedUploadStrategy {
  const target = o.part ?? 1
  return {
    name: inner.name,
    minPartSize: inner.minPartSize,
    maxParts: inner.maxParts,
    ...(inner.partChecksums ? { partChecksums: inner.partChecksums } : {}),
    ...(inner.hdfsBlockSize !== undefined ? { hdfsBlockSize: inner.hdfsBlockSize } : {}),
    async begin(remotePath, size, options) {
      const session = await inner.begin(remotePath, size, options)
      return {
        async uploadPart(index, data, sums) {
          if (index !== target || (o.match && !o.match(remotePath))) return session.uploadPart(index, data, sums)
          const bad = Buffer.from(data)
          const at = Math.floor(bad.length / 2)
          bad[at] = (bad[at] ?? 0) ^ 0x5a
          log.push(`part ${index} of ${remotePath}`)
          return session.uploadPart(index, bad, o.lyingSums ? sumsOf(inner, bad) : sums)
        },
        complete: (count, options) => session.complete(count, options),
        abort: () => session.abort(),
      }
    },
  }
}

/** Flips the byte at `at` of a file (or its last byte when shorter). */
function flipOnDisk(path: string, at: number): void {
  const fd = openSync(path, 'r+')
  try {
    const size = fstatSync(fd).size
    if (size === 0) return
    const pos = Math.min(at, size - 1)
    const b = Buffer.alloc(1)
    readSync(fd, b, 0, 1, pos)
    b[0] = (b[0] ?? 0) ^ 0x5a
    writeSync(fd, b, 0, 1, pos)
  } finally {
    closeSync(fd)
  }
}

/** `inner` with one byte flipped in every matching write stream and in one part of chunked uploads. */
export function flipping(inner: FileSystem, log: FlipLog, o: FlipOptions = {}): FileSystem {
  const strategy = inner.capabilities.parallelParts
  const capabilities = { ...inner.capabilities, parallelParts: strategy ? flippingStrategy(strategy, log, o) : undefined }
  return new Proxy(inner, {
    get(t, key, receiver) {
      if (key === 'capabilities') return capabilities
      const writeLocal = t.writeLocalFile?.bind(t)
      if (key === 'writeLocalFile' && writeLocal && t.capabilities.atomicPublish !== 'rename') {
        // A store whose write is the publish (S3's one PUT of a local file) stores the file with
        // one byte flipped, while the caller is told the checksums of the bytes it read.
        return async (localPath: string, path: string, options: Parameters<NonNullable<FileSystem['writeLocalFile']>>[2]) => {
          if (o.match && !o.match(path)) return writeLocal(localPath, path, options)
          return fromFlippedCopy(localPath, o.at ?? 1000, log, path, async (flipped) => {
            const stored = await writeLocal(flipped, path, options)
            const data = readFileSync(localPath)
            return {
              bytes: data.length,
              sha256: createHash('sha256').update(data).digest('hex'),
              ...(options.checksums.includes('md5') ? { md5: createHash('md5').update(data).digest('hex') } : {}),
              ...(options.checksums.includes('crc32c') ? { crc32c: crc32cOf(data).toString(16).padStart(8, '0') } : {}),
              ...(stored.written ? { written: stored.written } : {}),
            }
          })
        }
      }
      if (key === 'writeLocalFile' && writeLocal && localPathOf(t, '') === undefined) {
        // A rename backend whose temp file is not on this disk (SFTP, HDFS): it is sent one byte
        // flipped, while the hook and the caller are told the checksums of the bytes read.
        return async (localPath: string, path: string, options: Parameters<NonNullable<FileSystem['writeLocalFile']>>[2]) => {
          if (o.match && !o.match(path)) return writeLocal(localPath, path, options)
          const data = readFileSync(localPath)
          const hdfs = options.checksums.includes('hdfs') ? new HdfsChecksumHasher() : undefined
          hdfs?.update(data)
          const read = { bytes: data.length, sha256: createHash('sha256').update(data).digest('hex'), ...(hdfs ? { hdfs: { blockSize: hdfs.blockSize, md5: hdfs.digest() } } : {}) }
          return fromFlippedCopy(localPath, o.at ?? 1000, log, path, async (flipped) => {
            await writeLocal(flipped, path, { ...options, beforePublish: async (staged) => options.beforePublish?.({ ...staged, read }) })
            return read
          })
        }
      }
      if (key === 'writeLocalFile' && writeLocal) {
        // The native local write: the byte is flipped in the staged file on disk, before the
        // caller's check runs on it (the native pass hashed the source bytes it read).
        return (localPath: string, path: string, options: Parameters<NonNullable<FileSystem['writeLocalFile']>>[2]) =>
          writeLocal(localPath, path, {
            ...options,
            beforePublish: async (staged) => {
              const staging = localPathOf(t, staged.path)
              if (staging !== undefined && !(o.match && !o.match(path))) {
                flipOnDisk(staging, o.at ?? 1000)
                log.push(path)
              }
              await options.beforePublish?.(staged)
            },
          })
      }
      const writeBatch = (t as FileSystem & Partial<LocalBatchWriter>).writeLocalFiles?.bind(t)
      if (key === 'writeLocalFiles' && writeBatch) {
        // The batch of native local writes: the same, in each matching staged file of the batch
        // (an unnamed one through the /proc/self/fd path the batch hands its hook).
        return (items: readonly LocalBatchItem[], options: LocalBatchOptions) =>
          writeBatch(items, {
            ...options,
            beforePublish: async (staged) => {
              for (const st of staged) {
                if (o.match && !o.match(st.path)) continue
                flipOnDisk(st.localPath, o.at ?? 1000)
                log.push(st.path)
              }
              await options.beforePublish?.(staged)
            },
          })
      }
      if (key === 'createWriteStream') {
        return (path: string, options?: Parameters<FileSystem['createWriteStream']>[1]) => {
          const w = t.createWriteStream(path, options)
          return o.match && !o.match(path) ? w : flippingStream(w, o.at ?? 1000, () => log.push(path))
        }
      }
      const v: unknown = Reflect.get(t, key, receiver)
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v
    },
  })
}
