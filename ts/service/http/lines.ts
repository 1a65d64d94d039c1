/**
 * Line selections over file content, all streaming: the start of the last N lines of a plain
 * file found by reading backwards from its end (GNU tail's way: cost grows with N and the
 * lines' length, not the file size), the last N lines of a stream that can only be read
 * forwards (compressed files), the first N lines, and a byte range.
 *
 * Lines as GNU `tail -n`/`head -n` count them: a line ends at `\n`; a last line without one is
 * still a line. `\r` is content.
 */
import { Transform, type TransformCallback } from 'node:stream'
import type { FileHandle } from 'node:fs/promises'

const NL = 0x0a
const BLOCK = 64 * 1024

/**
 * Offset where the last `n` lines of the first `size` bytes of `handle` begin. Reads blocks
 * backwards from `size` until it has seen `n` line ends (not counting a final `\n`).
 */
export async function tailStart(handle: FileHandle, size: number, n: number): Promise<number> {
  if (n <= 0 || size === 0) return size
  const buf = Buffer.allocUnsafe(Math.min(BLOCK, size))
  let end = size
  let found = 0
  let skipFinal = true
  while (end > 0) {
    const start = Math.max(0, end - buf.length)
    const len = end - start
    let got = 0
    while (got < len) {
      const { bytesRead } = await handle.read(buf, got, len - got, start + got)
      if (bytesRead === 0) break
      got += bytesRead
    }
    // A shrinking file (truncated while read): what was read is all there is.
    for (let i = got - 1; i >= 0; i--) {
      if (buf[i] !== NL) {
        skipFinal = false
        continue
      }
      if (skipFinal) {
        // The `\n` ending the last line ends no line we count.
        skipFinal = false
        continue
      }
      if (++found === n) return start + i + 1
    }
    end = start
  }
  return 0
}

/** Passes the first `n` lines, then ends (the caller destroys the source on 'end'). */
export class HeadLines extends Transform {
  private left: number

  constructor(n: number) {
    super()
    this.left = n
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.left <= 0) return cb()
    let i = -1
    while (this.left > 0) {
      i = chunk.indexOf(NL, i + 1)
      if (i < 0) break
      this.left--
    }
    if (this.left > 0) return cb(null, chunk)
    this.push(chunk.subarray(0, i + 1))
    this.push(null)
    cb()
  }
}

/**
 * Keeps the last `n` lines of what flows through and emits them at the end. Holds at most
 * n lines (plus the line being read); refuses to hold more than `maxBytes` of them.
 */
export class LastLines extends Transform {
  private readonly n: number
  private readonly maxBytes: number
  /** Complete lines (each ending with `\n`), oldest first; a ring of n slots. */
  private readonly ring: Buffer[][]
  private head = 0
  private count = 0
  private ringBytes = 0
  private partial: Buffer[] = []
  private partialBytes = 0

  constructor(n: number, maxBytes: number) {
    super()
    this.n = n
    this.maxBytes = maxBytes
    this.ring = new Array<Buffer[]>(Math.max(n, 0))
  }

  private keepLine(parts: Buffer[], bytes: number): void {
    if (this.n <= 0) return
    if (this.count === this.n) {
      const old = this.ring[this.head] as Buffer[]
      for (const b of old) this.ringBytes -= b.length
      this.ring[this.head] = parts
      this.head = (this.head + 1) % this.n
    } else {
      this.ring[(this.head + this.count) % this.n] = parts
      this.count++
    }
    this.ringBytes += bytes
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    let from = 0
    for (;;) {
      const i = chunk.indexOf(NL, from)
      if (i < 0) break
      // Copies: a slice would pin the whole decoded chunk for as long as its line is kept.
      const piece = Buffer.from(chunk.subarray(from, i + 1))
      this.partial.push(piece)
      this.keepLine(this.partial, this.partialBytes + piece.length)
      this.partial = []
      this.partialBytes = 0
      from = i + 1
    }
    if (from < chunk.length) {
      const rest = Buffer.from(chunk.subarray(from))
      this.partial.push(rest)
      this.partialBytes += rest.length
    }
    if (this.ringBytes + this.partialBytes > this.maxBytes) {
      const e = new Error(`the last lines asked for hold more than ${this.maxBytes} bytes`) as Error & { code: string }
      e.code = 'ERR_TAIL_TOO_LARGE'
      return cb(e)
    }
    cb()
  }

  override _flush(cb: TransformCallback): void {
    if (this.partialBytes > 0) this.keepLine(this.partial, this.partialBytes)
    for (let k = 0; k < this.count; k++) for (const b of this.ring[(this.head + k) % this.n] as Buffer[]) this.push(b)
    cb()
  }
}

/** Skips `offset` bytes, then passes `length` bytes (Infinity: the rest), then ends. */
export class ByteRange extends Transform {
  private skip: number
  private left: number

  constructor(offset: number, length: number) {
    super()
    this.skip = offset
    this.left = length
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.left <= 0) return cb()
    if (this.skip >= chunk.length) {
      this.skip -= chunk.length
      return cb()
    }
    let out = chunk.subarray(this.skip)
    this.skip = 0
    if (out.length >= this.left) {
      out = out.subarray(0, this.left)
      this.left = 0
      this.push(out)
      this.push(null)
      return cb()
    }
    this.left -= out.length
    cb(null, out)
  }
}
