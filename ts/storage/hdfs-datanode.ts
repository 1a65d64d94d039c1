/**
 * The DataNode side of HDFS's data-transfer protocol (version 28) that logferry speaks: a
 * WRITE_BLOCK pipeline of CRC32C-checksummed packets, and BLOCK_CHECKSUM, the MD5 of a stored
 * block's CRCs that the DataNode computes from its own checksum file (what GETFILECHECKSUM is
 * made of). Unencrypted, no SASL: a cluster that wants more closes the connection.
 */
import { createHash } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import { native } from '../native.js'
import { Pb, decode, msg, num, str, sub, takeDelimited, u64, varints, sint, type Fields } from './hdfs-protobuf.js'
import { HdfsRpcError } from './hdfs-rpc-connection.js'

export interface Block {
  poolId: string
  blockId: bigint
  generationStamp: bigint
  /** Bytes the NameNode knows of (getBlockLocations); 0 for a block being written. */
  numBytes: number
}

export interface LocatedBlock {
  block: Block
  /** DatanodeInfoProto messages, pipeline order. */
  locations: Buffer[]
  /** TokenProto message. */
  token: Buffer
}

/** ExtendedBlockProto. */
export const blockPb = (b: Block, numBytes = b.numBytes): Pb => new Pb().bytes(1, b.poolId).uint(2, b.blockId).uint(3, b.generationStamp).uint(4, numBytes)

/** LocatedBlockProto. */
export function located(buf: Buffer): LocatedBlock {
  const f = decode(buf)
  const b = sub(f, 1)
  return {
    block: { poolId: str(b, 1) ?? '', blockId: u64(b, 2) ?? 0n, generationStamp: u64(b, 3) ?? 0n, numBytes: num(b, 4) ?? 0 },
    locations: (f.get(3) ?? []).filter(Buffer.isBuffer),
    token: msg(f, 5) ?? Buffer.alloc(0),
  }
}

/** A DatanodeInfoProto's data-transfer address. */
function transferAddress(info: Buffer): { host: string; port: number } {
  const id = sub(decode(info), 1)
  return { host: str(id, 1) ?? '127.0.0.1', port: num(id, 4) ?? 0 }
}

const DATA_TRANSFER_VERSION = 28
const OP_WRITE_BLOCK = 80
const OP_BLOCK_CHECKSUM = 85
export const BYTES_PER_CRC = 512
/**
 * Data bytes per packet: 512 CRC chunks (256 KiB). hadoop's client sends 64 KiB by default
 * (dfs.client-write-packet-size; DataNodes take up to 16 MiB). Fewer, larger packets cost less
 * client CPU (1 MiB: 512 MiB in 1.13-1.17 s instead of 1.27-1.61 s at 64 KiB), but through a
 * pipeline of two DataNodes 1 MiB packets made every 512 MiB copy after a cluster's first one
 * take 2.5-3.4 s where rclone (64 KiB) took 1.5-2.1 s; 256 KiB kept up with it (2.0-2.3 s vs
 * 2.4-2.9 s, same runs, load 3-6). A 100 KiB file is still one packet.
 */
export const PACKET_DATA = 512 * BYTES_PER_CRC
/** Packets sent and not yet acknowledged: 10 MiB in flight (hadoop's client: 80 x 64 KiB = 5 MiB). */
const PACKET_WINDOW = 40
const STAGE_PIPELINE_SETUP_CREATE = 6
const CHECKSUM_CRC32C = 2
/**
 * A DataNode drops a pipeline that sends nothing for dfs.client.socket-timeout (60 s); hadoop's
 * client then sends an empty heartbeat packet (seqno -1) after half that: so do we, when the
 * source stalls.
 */
const HEARTBEAT_MS = 30_000

function opHead(op: number): Buffer {
  const head = Buffer.alloc(3)
  head.writeUInt16BE(DATA_TRANSFER_VERSION)
  head.writeUInt8(op, 2)
  return head
}

/** A BlockOpResponseProto's failure as text, undefined when its status is SUCCESS. */
function refusal(f: Fields, op: string): string | undefined {
  const status = num(f, 1) ?? 0
  if (status === 0) return undefined
  return `${op} refused (status ${status}${str(f, 5) ? `: ${str(f, 5)}` : ''}${str(f, 2) ? `, bad link ${str(f, 2)}` : ''})`
}

/**
 * One block's WRITE_BLOCK pipeline to its first DataNode: packets out, acks in. The first packets
 * go right behind the op, without waiting for its answer (a refusal still fails every send).
 */
export class BlockPipeline {
  private readonly socket: Socket
  private input: Buffer = Buffer.alloc(0)
  private opened = false
  private seqno = 0
  private acked = -1
  private failure: Error | undefined
  private waiters: (() => void)[] = []
  private lastSent = Date.now()
  private readonly heartbeat: NodeJS.Timeout
  private finished = false
  /** MD5 of the CRCs sent, in order: what a BLOCK_CHECKSUM of the finished block states. */
  private readonly sentCrcs = createHash('md5')
  private crcCount = 0
  offset = 0

  constructor(
    readonly lb: LocatedBlock,
    clientName: string,
  ) {
    const { host, port } = transferAddress(lb.locations[0] ?? Buffer.alloc(0))
    this.socket = connect({ host, port, noDelay: true })
    this.socket.on('data', (b: Buffer) => this.onData(b))
    this.socket.on('error', (err) => this.fail(new HdfsRpcError(`DataNode ${host}:${port}: ${err.message}`, undefined, { cause: err })))
    this.socket.on('close', () => {
      if (!this.finished) this.fail(new HdfsRpcError(`DataNode ${host}:${port}: connection closed`, undefined))
    })
    const op = new Pb().bytes(1, new Pb().bytes(1, new Pb().bytes(1, blockPb(lb.block, 0)).bytes(2, lb.token)).bytes(2, clientName))
    for (const target of lb.locations.slice(1)) op.bytes(2, target)
    op.uint(4, STAGE_PIPELINE_SETUP_CREATE)
      .uint(5, lb.locations.length)
      .uint(6, 0)
      .uint(7, 0)
      .uint(8, lb.block.generationStamp)
      .bytes(9, new Pb().uint(1, CHECKSUM_CRC32C).uint(2, BYTES_PER_CRC))
    this.socket.write(Buffer.concat([opHead(OP_WRITE_BLOCK), op.delimited()]))
    this.heartbeat = setInterval(() => {
      if (this.failure || Date.now() - this.lastSent < HEARTBEAT_MS) return
      this.writePacket(Buffer.alloc(0), -1, false)
    }, HEARTBEAT_MS / 3)
    this.heartbeat.unref()
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
          const refused = refusal(f, 'WRITE_BLOCK')
          if (refused) throw new Error(refused)
          continue
        }
        const seqno = sint(f, 1) ?? 0
        const replies = varints(f, 2)
        const statuses = replies.length > 0 ? replies : varints(f, 4).map((x) => x & 0xf)
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
    clearInterval(this.heartbeat)
    this.wake()
  }

  private async until(done: () => boolean): Promise<void> {
    while (!done()) {
      if (this.failure) throw this.failure
      await new Promise<void>((resolve) => this.waiters.push(resolve))
    }
    if (this.failure) throw this.failure
  }

  /** Writes one packet: its head and CRCs, then the data as it is (a writev, no copy into one buffer). */
  private writePacket(data: Buffer, seqno: number, last: boolean): boolean {
    const sums = data.length > 0 ? native.crc32cChunks(data, BYTES_PER_CRC) : Buffer.alloc(0)
    if (sums.length > 0) {
      this.sentCrcs.update(sums)
      this.crcCount += sums.length / 4
    }
    const header = new Pb().sfixed64(1, seqno < 0 ? 0 : this.offset).sfixed64(2, seqno).bool(3, last).sfixed32(4, data.length).finish()
    const lens = Buffer.allocUnsafe(6)
    lens.writeUInt32BE(4 + sums.length + data.length, 0)
    lens.writeUInt16BE(header.length, 4)
    this.lastSent = Date.now()
    if (data.length === 0) return this.socket.write(Buffer.concat([lens, header]))
    this.socket.cork()
    this.socket.write(Buffer.concat([lens, header, sums]))
    const room = this.socket.write(data)
    this.socket.uncork()
    return room
  }

  /** Sends one packet of at most PACKET_DATA bytes (an empty last one ends the block). */
  async send(data: Buffer, last = false): Promise<void> {
    if (this.failure) throw this.failure
    const seqno = this.seqno++
    await this.until(() => seqno - this.acked <= PACKET_WINDOW)
    const room = this.writePacket(data, seqno, last)
    this.offset += data.length
    if (!room) await new Promise<void>((resolve) => this.socket.once('drain', resolve))
    if (this.failure) throw this.failure
  }

  /**
   * Ends the block: the empty last packet, every ack (the DataNode finalizes the block first).
   * Answers the block's bytes and its checksum as the DataNodes accepted it: the MD5 of the CRCs
   * its packets carried, which the last DataNode of the pipeline checked every byte against
   * before it was stored (a packet that does not match is refused, failing the write), and which
   * are the CRCs its stored checksum file holds: what BLOCK_CHECKSUM would state, without a
   * connection of its own.
   */
  async finish(): Promise<{ bytes: number; checksum: BlockChecksum }> {
    await this.send(Buffer.alloc(0), true)
    const lastSeq = this.seqno - 1
    await this.until(() => this.acked >= lastSeq)
    this.finished = true
    clearInterval(this.heartbeat)
    this.socket.end()
    return { bytes: this.offset, checksum: { bytesPerCrc: BYTES_PER_CRC, crcPerBlock: this.crcCount, md5: this.sentCrcs.digest(), crcType: CHECKSUM_CRC32C } }
  }

  destroy(): void {
    clearInterval(this.heartbeat)
    this.socket.destroy()
  }
}

/** A stored block's checksum as its DataNode states it. */
export interface BlockChecksum {
  bytesPerCrc: number
  crcPerBlock: number
  /** MD5 of the block's big-endian CRCs. */
  md5: Buffer
  /** ChecksumTypeProto: 1 CRC32, 2 CRC32C. */
  crcType: number
}

/** BLOCK_CHECKSUM on one DataNode. */
function checksumAt(address: { host: string; port: number }, lb: LocatedBlock): Promise<BlockChecksum> {
  return new Promise((resolve, reject) => {
    const where = `DataNode ${address.host}:${address.port}`
    const socket = connect({ host: address.host, port: address.port, noDelay: true })
    let input: Buffer = Buffer.alloc(0)
    let settled = false
    const done = (err: Error | undefined, value?: BlockChecksum): void => {
      settled = true
      socket.destroy()
      if (err) reject(err)
      else resolve(value as BlockChecksum)
    }
    socket.on('error', (err) => done(new HdfsRpcError(`${where}: ${err.message}`, undefined, { cause: err })))
    socket.on('close', () => {
      if (!settled) done(new HdfsRpcError(`${where}: connection closed before BLOCK_CHECKSUM answered`, undefined))
    })
    socket.on('data', (b: Buffer) => {
      input = input.length === 0 ? b : Buffer.concat([input, b])
      const m = takeDelimited(input)
      if (!m) return
      try {
        const f = decode(m.message)
        const refused = refusal(f, 'BLOCK_CHECKSUM')
        if (refused) return done(new HdfsRpcError(`${where}: ${refused}`, 'IOException'))
        const c = sub(f, 3)
        done(undefined, { bytesPerCrc: num(c, 1) ?? 0, crcPerBlock: num(c, 2) ?? 0, md5: Buffer.from(msg(c, 3) ?? Buffer.alloc(0)), crcType: num(c, 4) ?? CHECKSUM_CRC32C })
      } catch (err) {
        done(new HdfsRpcError(`${where}: unreadable BLOCK_CHECKSUM answer (${(err as Error).message})`, undefined, { cause: err }))
      }
    })
    const op = new Pb().bytes(1, new Pb().bytes(1, blockPb(lb.block)).bytes(2, lb.token))
    socket.write(Buffer.concat([opHead(OP_BLOCK_CHECKSUM), op.delimited()]))
  })
}

/** A block's checksum from the first of its DataNodes that answers (hadoop's client does the same). */
export async function blockChecksum(lb: LocatedBlock): Promise<BlockChecksum> {
  let last: unknown
  for (const location of lb.locations) {
    try {
      return await checksumAt(transferAddress(location), lb)
    } catch (err) {
      last = err
    }
  }
  throw last ?? new HdfsRpcError(`block ${lb.block.blockId} has no location`, 'BlockMissingException')
}
