/** Stream adapters: lazily opened readables and backpressured writables over async sinks. */
import { Readable, Writable } from 'node:stream'
import type { StagedWrite } from './types.js'

/** A readable whose source is opened on first read; errors go through `mapError`. */
/** Bytes from a backend: any async iterable, destroyed early if the reader stops. */
export type ByteSource = AsyncIterable<Uint8Array> & { destroy?: (error?: Error) => unknown }

export function lazyReadable(open: () => Promise<ByteSource>, mapError: (err: unknown) => Error): Readable {
  let source: ByteSource | undefined
  async function* gen(): AsyncGenerator<Uint8Array> {
    try {
      source = await open()
      for await (const chunk of source) yield chunk
    } catch (err) {
      throw mapError(err)
    }
  }
  const r = Readable.from(gen(), { objectMode: false, highWaterMark: 1 << 20 })
  r.once('close', () => {
    if (source?.destroy && !r.readableEnded) source.destroy()
  })
  return r
}

/** What the backend said about an object it just stored (from the write's own response). */
export interface WrittenObject {
  /** The entity tag the store answered with. */
  etag?: string
  /** MD5 (hex) of the bytes the store received, when its answer states it. */
  md5?: string
  /** `<md5 of the parts' MD5s>-<parts>` of an object assembled from parts, when the answer states it. */
  md5OfParts?: string
  /** CRC32C (8 hex digits) of the stored object, when the answer states it. */
  crc32c?: string
  /**
   * A chunked upload's completion: the store confirmed the object is exactly the parts it
   * checked against the caller's checksums, in order (Azure's committed block list).
   */
  partsVerified?: true
}

/** Errors of a WriteOptions.beforePublish hook: the write fails with them unchanged (not mapped). */
const hookErrors = new WeakSet<object>()

/**
 * Runs a write's beforePublish hook (rename backends, between the temp write and the rename);
 * its rejection is what the write stream fails with, unchanged.
 */
export async function runBeforePublish(hook: ((staged: StagedWrite) => Promise<void>) | undefined, staged: StagedWrite): Promise<void> {
  if (!hook) return
  try {
    await hook(staged)
  } catch (err) {
    if (err !== null && typeof err === 'object') hookErrors.add(err)
    throw err
  }
}

/** Maps a sink failure, except a beforePublish refusal, which is passed on as it is. */
function mapSinkError(err: unknown, mapError: (err: unknown) => Error): Error {
  return err !== null && typeof err === 'object' && hookErrors.has(err) ? (err as Error) : mapError(err)
}

const written = new WeakMap<Writable, WrittenObject>()

/** What the backend answered when the write stream `w` finished, when it said anything. */
export function writtenObject(w: Writable): WrittenObject | undefined {
  return written.get(w)
}

/** Where a write stream's bytes go: each call is awaited before the next chunk is accepted. */
export interface Sink {
  write(chunk: Buffer): Promise<void>
  /** All bytes written: make the object visible (and say what the store answered, if anything). */
  close(): Promise<void | WrittenObject>
  /** The write failed or was destroyed: release resources, publish nothing. */
  abort(): Promise<void>
}

/**
 * A Writable that opens its sink on construction, awaits every sink write (so memory is bounded
 * by the sink's own buffer plus one chunk) and publishes on `final`. Any failure aborts the sink.
 */
export function sinkWritable(open: () => Promise<Sink>, mapError: (err: unknown) => Error): Writable {
  let sink: Sink | undefined
  let aborted = false
  const abort = async (): Promise<void> => {
    if (aborted || !sink) return
    aborted = true
    try {
      // Best effort and bounded: a dead connection must not hold the original error back.
      let timer: NodeJS.Timeout | undefined
      await Promise.race([sink.abort(), new Promise<void>((r) => (timer = setTimeout(r, 15_000)))])
      clearTimeout(timer)
    } catch {
      // the original error is what matters
    }
  }
  return new Writable({
    highWaterMark: 1 << 20,
    construct(cb) {
      open().then(
        (s) => {
          sink = s
          cb()
        },
        (err: unknown) => cb(mapError(err)),
      )
    },
    write(chunk: Buffer, _enc, cb) {
      ;(sink as Sink).write(chunk).then(
        () => cb(),
        async (err: unknown) => {
          await abort()
          cb(mapError(err))
        },
      )
    },
    final(cb) {
      ;(sink as Sink).close().then(
        (result) => {
          if (result) written.set(this, result)
          cb()
        },
        async (err: unknown) => {
          await abort()
          cb(mapSinkError(err, mapError))
        },
      )
    },
    destroy(err, cb) {
      if (err === null && aborted) return cb(null)
      const done = (): void => cb(err)
      // Destroyed before final: never publish.
      if (!this.writableFinished) abort().then(done, done)
      else done()
    },
  })
}

/** Splits written bytes into fixed-size parts with bounded memory (one part buffered). */
export class PartBuffer {
  private chunks: Buffer[] = []
  private length = 0
  constructor(readonly partSize: number) {}

  /** Adds a chunk; returns the full parts that are ready to be sent. */
  push(chunk: Buffer): Buffer[] {
    const ready: Buffer[] = []
    let c = chunk
    while (this.length + c.length >= this.partSize) {
      const take = this.partSize - this.length
      this.chunks.push(c.subarray(0, take))
      ready.push(Buffer.concat(this.chunks, this.partSize))
      this.chunks = []
      this.length = 0
      c = c.subarray(take)
    }
    if (c.length > 0) {
      this.chunks.push(c)
      this.length += c.length
    }
    return ready
  }

  /** Whatever is left (possibly empty). */
  drain(): Buffer {
    const b = Buffer.concat(this.chunks, this.length)
    this.chunks = []
    this.length = 0
    return b
  }
}
