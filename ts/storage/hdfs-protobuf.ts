/**
 * The few protocol-buffer messages HDFS's RPC and data-transfer protocols need, encoded and
 * decoded by hand (no generated code, no protobuf runtime to load). Varints are JS numbers while
 * they fit in 53 bits (every length, port, size and status), bigints beyond (block ids and
 * generation stamps may be any uint64), so the common case allocates no bigint.
 */

export type Field = number | bigint | Buffer

function varint(v: bigint | number): Buffer {
  if (typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
    const out: number[] = []
    let n = v
    while (n >= 0x80) {
      out.push((n % 0x80) | 0x80)
      n = Math.floor(n / 0x80)
    }
    out.push(n)
    return Buffer.from(out)
  }
  let n = BigInt.asUintN(64, BigInt(v))
  const out: number[] = []
  while (n >= 0x80n) {
    out.push(Number(n & 0x7fn) | 0x80)
    n >>= 7n
  }
  out.push(Number(n))
  return Buffer.from(out)
}

/** A message under construction: fields appended in order. */
export class Pb {
  private readonly parts: Buffer[] = []

  uint(field: number, v: bigint | number): this {
    this.parts.push(varint(field << 3), varint(v))
    return this
  }

  sint(field: number, v: number): this {
    return this.uint(field, v >= 0 ? v * 2 : -v * 2 - 1)
  }

  bool(field: number, v: boolean): this {
    return this.uint(field, v ? 1 : 0)
  }

  bytes(field: number, v: Buffer | string | Pb): this {
    const b = v instanceof Pb ? v.finish() : typeof v === 'string' ? Buffer.from(v) : v
    this.parts.push(varint((field << 3) | 2), varint(b.length), b)
    return this
  }

  sfixed64(field: number, v: number): this {
    const b = Buffer.allocUnsafe(9)
    b[0] = (field << 3) | 1
    b.writeBigInt64LE(BigInt(v), 1)
    this.parts.push(b)
    return this
  }

  sfixed32(field: number, v: number): this {
    const b = Buffer.allocUnsafe(5)
    b[0] = (field << 3) | 5
    b.writeInt32LE(v, 1)
    this.parts.push(b)
    return this
  }

  finish(): Buffer {
    return this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts)
  }

  delimited(): Buffer {
    return delimit(this.finish())
  }
}

/** `b` behind its varint length. */
export function delimit(b: Buffer): Buffer {
  return Buffer.concat([varint(b.length), b])
}

/** Reads a varint at `at`; undefined when the buffer ends first. */
export function readVarint(buf: Buffer, at: number): { value: number | bigint; next: number } | undefined {
  let value = 0
  let scale = 1
  for (let i = at; i < buf.length && i < at + 7; i++) {
    const b = buf[i] as number
    value += (b & 0x7f) * scale
    if ((b & 0x80) === 0) return { value, next: i + 1 }
    scale *= 0x80
  }
  // Eight bytes or more: beyond 49 bits, read exactly as a bigint.
  let big = 0n
  let shift = 0n
  for (let i = at; i < buf.length; i++) {
    const b = buf[i] as number
    big |= BigInt(b & 0x7f) << shift
    if ((b & 0x80) === 0) return { value: big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big, next: i + 1 }
    shift += 7n
  }
  return undefined
}

/** A message's fields by number (repeated fields in order). */
export type Fields = Map<number, Field[]>

export function decode(buf: Buffer): Fields {
  const out: Fields = new Map()
  let at = 0
  while (at < buf.length) {
    const key = readVarint(buf, at)
    if (!key || typeof key.value !== 'number') throw new Error('truncated protobuf key')
    at = key.next
    const field = Math.floor(key.value / 8)
    const type = key.value % 8
    let value: Field
    if (type === 0) {
      const v = readVarint(buf, at)
      if (!v) throw new Error('truncated protobuf varint')
      value = v.value
      at = v.next
    } else if (type === 2) {
      const len = readVarint(buf, at)
      if (!len || typeof len.value !== 'number' || len.next + len.value > buf.length) throw new Error('truncated protobuf length')
      value = buf.subarray(len.next, len.next + len.value)
      at = len.next + len.value
    } else if (type === 1) {
      value = buf.subarray(at, at + 8)
      at += 8
    } else if (type === 5) {
      value = buf.subarray(at, at + 4)
      at += 4
    } else {
      throw new Error(`protobuf wire type ${type} not supported`)
    }
    const list = out.get(field)
    if (list) list.push(value)
    else out.set(field, [value])
  }
  return out
}

/** A varint field as a number (undefined when absent). */
export const num = (f: Fields, n: number): number | undefined => {
  const v = f.get(n)?.[0]
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined
}
/** A varint field exactly (uint64). */
export const u64 = (f: Fields, n: number): bigint | undefined => {
  const v = f.get(n)?.[0]
  return typeof v === 'number' || typeof v === 'bigint' ? BigInt(v) : undefined
}
/** A zigzag-encoded (sint) varint field. */
export const sint = (f: Fields, n: number): number | undefined => {
  const v = num(f, n)
  return v === undefined ? undefined : v % 2 === 1 ? -(v + 1) / 2 : v / 2
}
export const msg = (f: Fields, n: number): Buffer | undefined => {
  const v = f.get(n)?.[0]
  return Buffer.isBuffer(v) ? v : undefined
}
export const str = (f: Fields, n: number): string | undefined => msg(f, n)?.toString()
/** A sub-message field, decoded (empty when absent). */
export const sub = (f: Fields, n: number): Fields => decode(msg(f, n) ?? EMPTY)
/** A repeated varint field, packed or not. */
export function varints(f: Fields, n: number): number[] {
  const out: number[] = []
  for (const v of f.get(n) ?? []) {
    if (!Buffer.isBuffer(v)) out.push(Number(v))
    else {
      for (let at = 0; at < v.length; ) {
        const x = readVarint(v, at)
        if (!x) break
        out.push(Number(x.value))
        at = x.next
      }
    }
  }
  return out
}

const EMPTY = Buffer.alloc(0)

/** A varint-length-prefixed message at the start of `buf`, when it is all there. */
export function takeDelimited(buf: Buffer): { message: Buffer; rest: Buffer } | undefined {
  const len = readVarint(buf, 0)
  if (!len || typeof len.value !== 'number' || buf.length < len.next + len.value) return undefined
  return { message: buf.subarray(len.next, len.next + len.value), rest: buf.subarray(len.next + len.value) }
}
