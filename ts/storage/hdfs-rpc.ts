/**
 * HDFS writes over the NameNode's RPC port and the DataNode's data-transfer port, as hadoop's own
 * client (and rclone) writes: create, addBlock, a WRITE_BLOCK pipeline of CRC32C-checksummed
 * packets, complete. Why not WebHDFS for the bytes: its DataNode writes each file through an
 * internal DFSClient on one of its 2 x cores Netty threads, and that client's close waits 400 ms
 * (dfs.client.block.write.locateFollowingBlock.initial.delay.ms) whenever the NameNode has not
 * yet heard of the block, which is almost always: a 4-thread DataNode then closes at most ~10
 * files a second, whatever the client's concurrency. Here `complete` is retried after a few ms.
 *
 * Only simple authentication (user name, no SASL) and unencrypted data transfer: a cluster that
 * wants more refuses the connection, and the caller (webhdfs.ts) then writes over WebHDFS.
 * Protocol buffers are encoded by hand (the few messages needed), field numbers from Hadoop's
 * RpcHeader, ProtobufRpcEngine, IpcConnectionContext, ClientNamenodeProtocol, hdfs and
 * datatransfer .proto files.
 */
import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import { native } from '../native.js'

// ---- protocol buffers ---------------------------------------------------------------------------

type Field = bigint | Buffer

function varint(v: bigint | number): Buffer {
  let n = BigInt.asUintN(64, BigInt(v))
  const out: number[] = []
  while (n >= 0x80n) {
    out.push(Number(n & 0x7fn) | 0x80)
    n >>= 7n
  }
  out.push(Number(n))
  return Buffer.from(out)
}

const zigzag = (v: number): bigint => (BigInt(v) << 1n) ^ (v < 0 ? -1n : 0n)

/** A message under construction: fields appended in order. */
class Pb {
  private readonly parts: Buffer[] = []

  uint(field: number, v: bigint | number): this {
    this.parts.push(varint(field << 3), varint(v))
    return this
  }

  sint(field: number, v: number): this {
    return this.uint(field, BigInt.asUintN(64, zigzag(v)))
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
    const b = Buffer.alloc(8)
    b.writeBigInt64LE(BigInt(v))
    this.parts.push(varint((field << 3) | 1), b)
    return this
  }

  sfixed32(field: number, v: number): this {
    const b = Buffer.alloc(4)
    b.writeInt32LE(v)
    this.parts.push(varint((field << 3) | 5), b)
    return this
  }

  finish(): Buffer {
    return Buffer.concat(this.parts)
  }

  delimited(): Buffer {
    const b = this.finish()
    return Buffer.concat([varint(b.length), b])
  }
}

/** Reads a varint at `at`; undefined when the buffer ends first. */
function readVarint(buf: Buffer, at: number): { value: bigint; next: number } | undefined {
  let value = 0n
  let shift = 0n
  for (let i = at; i < buf.length; i++) {
    const b = buf[i] as number
    value |= BigInt(b & 0x7f) << shift
    if ((b & 0x80) === 0) return { value, next: i + 1 }
    shift += 7n
  }
  return undefined
}

/** A message's fields by number (repeated fields in order). */
type Fields = Map<number, Field[]>

function decode(buf: Buffer): Fields {
  const out: Fields = new Map()
  let at = 0
  while (at < buf.length) {
    const key = readVarint(buf, at)
    if (!key) throw new Error('truncated protobuf key')
    at = key.next
    const field = Number(key.value >> 3n)
    const type = Number(key.value & 7n)
    let value: Field
    if (type === 0) {
      const v = readVarint(buf, at)
      if (!v) throw new Error('truncated protobuf varint')
      value = v.value
      at = v.next
    } else if (type === 2) {
      const len = readVarint(buf, at)
      if (!len) throw new Error('truncated protobuf length')
      value = buf.subarray(len.next, len.next + Number(len.value))
      at = len.next + Number(len.value)
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

const num = (f: Fields, n: number): bigint | undefined => {
  const v = f.get(n)?.[0]
  return typeof v === 'bigint' ? v : undefined
}
const msg = (f: Fields, n: number): Buffer | undefined => {
  const v = f.get(n)?.[0]
  return Buffer.isBuffer(v) ? v : undefined
}
const str = (f: Fields, n: number): string | undefined => msg(f, n)?.toString()

/** A varint-length-prefixed message at the start of `buf`, when it is all there. */
function takeDelimited(buf: Buffer): { message: Buffer; rest: Buffer } | undefined {
  const len = readVarint(buf, 0)
  if (!len || buf.length < len.next + Number(len.value)) return undefined
  return { message: buf.subarray(len.next, len.next + Number(len.value)), rest: buf.subarray(len.next + Number(len.value)) }
}

// ---- NameNode RPC -------------------------------------------------------------------------------

/** A failed call: the server's exception class (simple name) and message, or a broken connection. */
export class HdfsRpcError extends Error {
  constructor(
    message: string,
    /** Simple name of the Java exception (e.g. 'FileNotFoundException'); undefined: the connection failed. */
    readonly exception: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'HdfsRpcError'
  }
}

const CLIENT_PROTOCOL = 'org.apache.hadoop.hdfs.protocol.ClientProtocol'
/** Hadoop's RPC version 9, service class 0, auth protocol NONE (simple authentication). */
const CONNECTION_PREAMBLE = Buffer.concat([Buffer.from('hrpc'), Buffer.from([9, 0, 0])])
const CONNECTION_CONTEXT_CALL_ID = -3

interface Pending {
  resolve: (body: Buffer) => void
  reject: (err: Error) => void
}

/** One multiplexed RPC connection to a NameNode (calls answered by call id, in any order). */
class RpcConnection {
  private readonly socket: Socket
  private readonly pending = new Map<number, Pending>()
  private nextId = 0
  private input: Buffer = Buffer.alloc(0)
  private failure: Error | undefined
  readonly ready: Promise<void>

  constructor(host: string, port: number, user: string, private readonly clientId: Buffer) {
    this.socket = connect({ host, port, noDelay: true })
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', () => {
        const context = new Pb().bytes(2, new Pb().bytes(1, user)).bytes(3, CLIENT_PROTOCOL)
        this.socket.write(CONNECTION_PREAMBLE)
        this.socket.write(this.frame(CONNECTION_CONTEXT_CALL_ID, [context.delimited()]))
        resolve()
      })
      this.socket.once('error', (err) => reject(new HdfsRpcError(`NameNode RPC ${host}:${port}: ${err.message}`, undefined, { cause: err })))
    })
    this.ready.catch(() => undefined)
    this.socket.on('data', (b: Buffer) => this.onData(b))
    this.socket.on('error', (err) => this.fail(new HdfsRpcError(`NameNode RPC ${host}:${port}: ${err.message}`, undefined, { cause: err })))
    this.socket.on('close', () => this.fail(new HdfsRpcError(`NameNode RPC ${host}:${port}: connection closed`, undefined)))
    this.socket.unref()
  }

  get broken(): boolean {
    return this.failure !== undefined
  }

  private frame(callId: number, bodies: Buffer[]): Buffer {
    const header = new Pb().uint(1, 2).uint(2, 0).sint(3, callId).bytes(4, this.clientId).delimited()
    const payload = Buffer.concat([header, ...bodies])
    const len = Buffer.alloc(4)
    len.writeUInt32BE(payload.length)
    return Buffer.concat([len, payload])
  }

  async call(method: string, request: Pb): Promise<Fields> {
    await this.ready
    if (this.failure) throw this.failure
    const id = this.nextId++
    const header = new Pb().bytes(1, method).bytes(2, CLIENT_PROTOCOL).uint(3, 1)
    const body = await new Promise<Buffer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.socket.ref()
      this.socket.write(this.frame(id, [header.delimited(), request.delimited()]))
    })
    return decode(body)
  }

  private onData(b: Buffer): void {

    this.input = this.input.length === 0 ? b : Buffer.concat([this.input, b])
    while (this.input.length >= 4) {
      const len = this.input.readUInt32BE(0)
      if (this.input.length < 4 + len) return
      const frame = this.input.subarray(4, 4 + len)
      this.input = this.input.subarray(4 + len)
      try {
        this.onFrame(frame)
      } catch (err) {
        this.fail(new HdfsRpcError(`NameNode RPC: unreadable answer (${(err as Error).message})`, undefined, { cause: err }))
        this.socket.destroy()
        return
      }
    }
  }

  private onFrame(frame: Buffer): void {
    const head = takeDelimited(frame)
    if (!head) throw new Error('truncated response header')
    const h = decode(head.message)
    // A response's callId is a uint32 (requests send a sint32).
    const id = Number(num(h, 1) ?? 0n)
    const status = Number(num(h, 2) ?? 0n)
    const p = this.pending.get(id)
    if (status !== 0) {
      const cls = str(h, 4) ?? ''
      const err = new HdfsRpcError(`${cls}: ${(str(h, 5) ?? '').split('\n')[0]}`, cls.slice(cls.lastIndexOf('.') + 1) || 'RpcError')
      if (status === 2) {
        this.fail(err)
        this.socket.destroy()
        return
      }
      this.pending.delete(id)
      p?.reject(err)
    } else {
      const body = takeDelimited(head.rest)
      this.pending.delete(id)
      p?.resolve(body?.message ?? Buffer.alloc(0))
    }
    if (this.pending.size === 0) this.socket.unref()
  }

  private fail(err: Error): void {
    this.failure ??= err
    for (const p of this.pending.values()) p.reject(this.failure)
    this.pending.clear()
  }

  close(): void {
    this.fail(new HdfsRpcError('NameNode RPC connection closed by the client', undefined))
    this.socket.destroy()
  }
}

// ---- blocks -------------------------------------------------------------------------------------

interface Block {
  poolId: string
  blockId: bigint
  generationStamp: bigint
}

interface LocatedBlock {
  block: Block
  /** DatanodeInfoProto messages, pipeline order. */
  locations: Buffer[]
  /** TokenProto message. */
  token: Buffer
}

const blockPb = (b: Block, numBytes: number): Pb => new Pb().bytes(1, b.poolId).uint(2, b.blockId).uint(3, b.generationStamp).uint(4, numBytes)

function located(buf: Buffer): LocatedBlock {
  const f = decode(buf)
  const b = decode(msg(f, 1) ?? Buffer.alloc(0))
  return {
    block: { poolId: str(b, 1) ?? '', blockId: num(b, 2) ?? 0n, generationStamp: num(b, 3) ?? 0n },
    locations: (f.get(3) ?? []).filter(Buffer.isBuffer),
    token: msg(f, 5) ?? Buffer.alloc(0),
  }
}

const DATA_TRANSFER_VERSION = 28
const OP_WRITE_BLOCK = 80
const BYTES_PER_CRC = 512
/** Data bytes per packet: 126 CRC chunks, what hadoop's client sends (64 KiB packets). */
const PACKET_DATA = 126 * BYTES_PER_CRC
/** Packets sent and not yet acknowledged (hadoop's client allows 80). */
const PACKET_WINDOW = 80
const STAGE_PIPELINE_SETUP_CREATE = 6
const CHECKSUM_CRC32C = 2

/** One block's WRITE_BLOCK pipeline to its first DataNode: packets out, acks in. */
class BlockPipeline {
  private readonly socket: Socket
  private input: Buffer = Buffer.alloc(0)
  private opened = false
  private seqno = 0
  private acked = -1
  private failure: Error | undefined
  private waiters: (() => void)[] = []
  readonly ready: Promise<void>
  private readyResolve!: () => void
  private readyReject!: (e: Error) => void
  offset = 0

  constructor(
    readonly lb: LocatedBlock,
    clientName: string,
  ) {
    const first = decode(decode(lb.locations[0] ?? Buffer.alloc(0)).get(1)?.[0] as Buffer)
    const host = str(first, 1) ?? '127.0.0.1'
    const port = Number(num(first, 4) ?? 0n)
    this.ready = new Promise((resolve, reject) => {
      this.readyResolve = resolve
      this.readyReject = reject
    })
    this.ready.catch(() => undefined)
    this.socket = connect({ host, port, noDelay: true })
    this.socket.on('data', (b: Buffer) => this.onData(b))
    this.socket.on('error', (err) => this.fail(new HdfsRpcError(`DataNode ${host}:${port}: ${err.message}`, undefined, { cause: err })))
    this.socket.on('close', () => this.fail(new HdfsRpcError(`DataNode ${host}:${port}: connection closed`, undefined)))
    const op = new Pb()
      .bytes(1, new Pb().bytes(1, new Pb().bytes(1, blockPb(lb.block, 0)).bytes(2, lb.token)).bytes(2, clientName))
    for (const target of lb.locations.slice(1)) op.bytes(2, target)
    op.uint(4, STAGE_PIPELINE_SETUP_CREATE)
      .uint(5, lb.locations.length)
      .uint(6, 0)
      .uint(7, 0)
      .uint(8, lb.block.generationStamp)
      .bytes(9, new Pb().uint(1, CHECKSUM_CRC32C).uint(2, BYTES_PER_CRC))
    const head = Buffer.alloc(3)
    head.writeUInt16BE(DATA_TRANSFER_VERSION)
    head.writeUInt8(OP_WRITE_BLOCK, 2)
    this.socket.write(Buffer.concat([head, op.delimited()]))
  }

  private onData(b: Buffer): void {
    this.input = this.input.length === 0 ? b : Buffer.concat([this.input, b])
    try {
      for (;;) {
        const m = takeDelimited(this.input)
        if (!m) return
        this.input = m.rest
        const f = decode(m.message)
        if (!this.opened) {
          this.opened = true
          const status = Number(num(f, 1) ?? 0n)
          if (status !== 0) throw new Error(`WRITE_BLOCK refused (status ${status}${str(f, 5) ? `: ${str(f, 5)}` : ''}${str(f, 2) ? `, bad link ${str(f, 2)}` : ''})`)
          this.readyResolve()
          continue
        }
        const raw = num(f, 1) ?? 0n
        const seqno = Number((raw >> 1n) ^ -(raw & 1n))
        const replies = (f.get(2) ?? []).flatMap((v) => (typeof v === 'bigint' ? [Number(v)] : [...v].map(Number)))
        const flags = (f.get(4) ?? []).flatMap((v) => (typeof v === 'bigint' ? [Number(v)] : packedVarints(v)))
        const statuses = replies.length > 0 ? replies : flags.map((x) => x & 0xf)
        const bad = statuses.find((s) => s !== 0)
        if (bad !== undefined) throw new Error(`DataNode refused packet ${seqno} (status ${bad})`)
        if (seqno >= 0) this.acked = seqno
        this.wake()
      }
    } catch (err) {
      this.fail(new HdfsRpcError((err as Error).message, undefined, { cause: err }))
      this.socket.destroy()
    }
  }

  private wake(): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  private fail(err: Error): void {
    this.failure ??= err
    this.readyReject(this.failure)
    this.wake()
  }

  private async until(done: () => boolean): Promise<void> {
    while (!done()) {
      if (this.failure) throw this.failure
      await new Promise<void>((resolve) => this.waiters.push(resolve))
    }
    if (this.failure) throw this.failure
  }

  /** Sends one packet of at most PACKET_DATA bytes (an empty last one ends the block). */
  async send(data: Buffer, last = false): Promise<void> {
    await this.ready
    const seqno = this.seqno++
    await this.until(() => seqno - this.acked <= PACKET_WINDOW)
    const sums = data.length > 0 ? native.crc32cChunks(data, BYTES_PER_CRC) : Buffer.alloc(0)
    const header = new Pb().sfixed64(1, this.offset).sfixed64(2, seqno).bool(3, last).sfixed32(4, data.length).finish()
    const lens = Buffer.alloc(6)
    lens.writeUInt32BE(4 + sums.length + data.length, 0)
    lens.writeUInt16BE(header.length, 4)
    this.offset += data.length
    // The data goes as it is (a writev with the small head), not copied into one packet buffer.
    this.socket.cork()
    this.socket.write(Buffer.concat([lens, header, sums]))
    const room = this.socket.write(data)
    this.socket.uncork()
    if (!room) await new Promise<void>((resolve) => this.socket.once('drain', resolve))
  }

  /** Ends the block: the empty last packet, every ack. */
  async finish(): Promise<number> {
    await this.send(Buffer.alloc(0), true)
    const lastSeq = this.seqno - 1
    await this.until(() => this.acked >= lastSeq)
    this.socket.end()
    return this.offset
  }

  destroy(): void {
    this.socket.destroy()
  }
}

function packedVarints(b: Buffer): number[] {
  const out: number[] = []
  for (let at = 0; at < b.length; ) {
    const v = readVarint(b, at)
    if (!v) break
    out.push(Number(v.value))
    at = v.next
  }
  return out
}

// ---- files --------------------------------------------------------------------------------------

/** An open file being written: bytes in, `close` completes it on the NameNode. */
export interface HdfsFileWriter {
  write(chunk: Buffer): Promise<void>
  close(): Promise<void>
  /** Stops writing (the caller deletes the file). */
  abort(): void
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A NameNode's client protocol, over one connection reopened when it breaks. */
export class HdfsRpcClient {
  private connection: RpcConnection | undefined
  private readonly clientId = randomBytes(16)
  readonly clientName = `DFSClient_logferry_${randomBytes(6).toString('hex')}`
  private replication: Promise<number> | undefined
  private leaseTimer: NodeJS.Timeout | undefined
  private openFiles = 0

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly user: string,
  ) {}

  private call(method: string, request: Pb): Promise<Fields> {
    if (!this.connection || this.connection.broken) this.connection = new RpcConnection(this.host, this.port, this.user, this.clientId)
    return this.connection.call(method, request)
  }

  /** The cluster's default replication (dfs.replication), asked once. */
  private defaultReplication(): Promise<number> {
    this.replication ??= this.call('getServerDefaults', new Pb()).then(
      (f) => Number(num(decode(msg(f, 1) ?? Buffer.alloc(0)), 4) ?? 3n),
      (err: unknown) => {
        this.replication = undefined
        throw err
      },
    )
    return this.replication
  }

  /** Keeps the leases of open files (NameNode soft limit 60 s) while any is being written. */
  private holdLease(delta: number): void {
    this.openFiles += delta
    if (this.openFiles > 0 && !this.leaseTimer) {
      this.leaseTimer = setInterval(() => void this.call('renewLease', new Pb().bytes(1, this.clientName)).catch(() => undefined), 20_000)
      this.leaseTimer.unref()
    } else if (this.openFiles === 0 && this.leaseTimer) {
      clearInterval(this.leaseTimer)
      this.leaseTimer = undefined
    }
  }

  /** Creates `path` (absolute; parents made; an existing file replaced when `overwrite`) for writing. */
  async create(path: string, blockSize: number, overwrite: boolean, permission = 0o644): Promise<HdfsFileWriter> {
    const replication = await this.defaultReplication()
    const created = await this.call(
      'create',
      new Pb()
        .bytes(1, path)
        .bytes(2, new Pb().uint(1, permission))
        .bytes(3, this.clientName)
        .uint(4, overwrite ? 3 : 1) // CREATE = 1, OVERWRITE = 2
        .bool(5, true)
        .uint(6, replication)
        .uint(7, blockSize),
    )
    const fileId = num(decode(msg(created, 1) ?? Buffer.alloc(0)), 13) ?? 0n
    this.holdLease(1)
    let pipeline: BlockPipeline | undefined
    let previous: { block: Block; bytes: number } | undefined
    let pending: Buffer[] = []
    let pendingBytes = 0
    let done = false
    const release = (): void => {
      if (done) return
      done = true
      this.holdLease(-1)
    }
    const addBlock = async (): Promise<BlockPipeline> => {
      const req = new Pb().bytes(1, path).bytes(2, this.clientName)
      if (previous) req.bytes(3, blockPb(previous.block, previous.bytes))
      req.uint(5, fileId)
      const r = await this.call('addBlock', req)
      const lb = located(msg(r, 1) ?? Buffer.alloc(0))
      const p = new BlockPipeline(lb, this.clientName)
      await p.ready
      return p
    }
    const endBlock = async (): Promise<void> => {
      if (!pipeline) return
      const p = pipeline
      pipeline = undefined
      const bytes = await p.finish()
      previous = { block: p.lb.block, bytes }
    }
    /** Sends whole packets of `pending` (all of it when `flush`), opening blocks as needed. */
    const drain = async (flush: boolean): Promise<void> => {
      while (pendingBytes >= PACKET_DATA || (flush && pendingBytes > 0)) {
        pipeline ??= await addBlock()
        const room = blockSize - pipeline.offset
        const all = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes)
        const take = Math.min(PACKET_DATA, room, all.length)
        await pipeline.send(all.subarray(0, take))
        const rest = all.subarray(take)
        pending = rest.length > 0 ? [rest] : []
        pendingBytes = rest.length
        if (pipeline.offset >= blockSize) await endBlock()
      }
    }
    return {
      write: async (chunk) => {
        pending.push(chunk)
        pendingBytes += chunk.length
        if (pendingBytes >= PACKET_DATA) await drain(false)
      },
      close: async () => {
        try {
          await drain(true)
          await endBlock()
          const req = new Pb().bytes(1, path).bytes(2, this.clientName)
          if (previous) req.bytes(3, blockPb(previous.block, previous.bytes))
          req.uint(4, fileId)
          // The NameNode completes the file once the DataNode reported the block (its incremental
          // block report races our call): asked again after 2, 4, 8... ms, for up to ~30 s.
          for (let wait = 2, waited = 0; ; wait = Math.min(wait * 2, 1000)) {
            const r = await this.call('complete', req)
            if ((num(r, 1) ?? 0n) === 1n) return
            if (waited > 30_000) throw new HdfsRpcError(`${path}: the NameNode did not complete the file (block not reported)`, 'NotReplicatedYetException')
            await sleep(wait)
            waited += wait
          }
        } finally {
          release()
        }
      },
      abort: () => {
        pipeline?.destroy()
        pipeline = undefined
        pending = []
        release()
      },
    }
  }

  close(): void {
    if (this.leaseTimer) clearInterval(this.leaseTimer)
    this.leaseTimer = undefined
    this.connection?.close()
    this.connection = undefined
  }
}
