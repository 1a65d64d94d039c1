/** A zstd-compressing Transform over the native ZstdCompressor (crates/node/src/zstd.rs). */
import { Transform, type TransformCallback } from 'node:stream'
import { native } from '../native.js'

export class ZstdCompressStream extends Transform {
  private readonly z: InstanceType<typeof native.ZstdCompressor>

  /** `level` 1..=22 (default 3). */
  constructor(level?: number) {
    super()
    this.z = new native.ZstdCompressor(level)
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      const out = this.z.push(chunk)
      cb(null, out.length > 0 ? out : undefined)
    } catch (err) {
      cb(err as Error)
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      cb(null, this.z.finish())
    } catch (err) {
      cb(err as Error)
    }
  }
}

/** A zstd-decompressing Transform over the native ZstdDecompressor; a truncated input fails (code ERR_ZSTD). */
export class ZstdDecompressStream extends Transform {
  private readonly z: InstanceType<typeof native.ZstdDecompressor>

  constructor() {
    super()
    this.z = new native.ZstdDecompressor()
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      const out = this.z.push(chunk)
      cb(null, out.length > 0 ? out : undefined)
    } catch (err) {
      cb(zstdError(err))
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.z.finish()
      cb()
    } catch (err) {
      cb(zstdError(err))
    }
  }
}

function zstdError(err: unknown): Error {
  const e = err instanceof Error ? err : new Error(String(err))
  Object.defineProperty(e, 'code', { value: 'ERR_ZSTD', enumerable: true })
  return e
}
