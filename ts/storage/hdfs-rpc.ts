/**
 * HDFS over the NameNode's RPC port and the DataNodes' data-transfer port, as hadoop's own client
 * (and rclone) does it: file status, mkdirs, rename, delete, concat, the file checksum (block
 * locations + each block's BLOCK_CHECKSUM) and writes (create, addBlock, a WRITE_BLOCK pipeline
 * per block, complete). Why not WebHDFS: every WebHDFS call is an HTTP request of its own (a
 * GETFILECHECKSUM two, redirected to a DataNode that asks the NameNode again), and its DataNode
 * writes each file through an internal DFSClient whose close waits 400 ms
 * (dfs.client.block.write.locateFollowingBlock.initial.delay.ms) whenever the NameNode has not
 * yet heard of the block, which is almost always: a 4-thread DataNode then closes at most ~10
 * files a second, whatever the client's concurrency. Field numbers from Hadoop's
 * ClientNamenodeProtocol and hdfs .proto files.
 */
import { randomBytes } from 'node:crypto'
import { attempt } from '../delivery/retry.js'
import { hdfsFileMd5 } from './hdfs-checksum.js'
import { BlockPipeline, PACKET_DATA, blockChecksum, blockPb, located, type Block, type BlockChecksum } from './hdfs-datanode.js'
import { Pb, decode, msg, num, sub, type Fields } from './hdfs-protobuf.js'
import { HdfsRpcError, RpcConnection } from './hdfs-rpc-connection.js'

export { HdfsRpcError } from './hdfs-rpc-connection.js'

/** An open file being written: bytes in, `close` completes it on the NameNode. */
export interface HdfsFileWriter {
  write(chunk: Buffer): Promise<void>
  close(): Promise<void>
  /** Stops writing (the caller deletes the file). */
  abort(): void
  /**
   * After `close`: the file's checksum (GETFILECHECKSUM's form) as its DataNodes accepted it:
   * composed from each block's CRCs, which the DataNode checked every byte against before storing
   * it and which its checksum file holds (BlockPipeline.finish; fileChecksum asks the DataNodes
   * for the same of any file).
   */
  storedChecksum?(): Promise<HdfsFileChecksumAnswer>
  /**
   * After `close`: the file's length as the NameNode completed it, the sum of its blocks'
   * committed lengths (every packet of them acknowledged, the last after the DataNodes finalized
   * the block; a replica reported with another length is marked corrupt).
   */
  storedLength?(): number
}

/** What getFileInfo states about a path (HdfsFileStatusProto). */
export interface HdfsStatus {
  type: 'FILE' | 'DIRECTORY' | 'SYMLINK'
  length: number
  modificationTime: number
  blockSize: number
}

/** A file checksum as WebHDFS's GETFILECHECKSUM states it (algorithm name, hex of its bytes). */
export interface HdfsFileChecksumAnswer {
  algorithm: string
  bytes: string
  length: number
}

const FILE_TYPES = { 1: 'DIRECTORY', 2: 'FILE', 3: 'SYMLINK' } as const
/** Whole-file range for getBlockLocations (Long.MAX_VALUE, as hadoop's getFileChecksum asks). */
const WHOLE_FILE = (1n << 63n) - 1n
/** ChecksumTypeProto -> DataChecksum.Type name. */
const CRC_NAMES: Record<number, string> = { 0: 'NULL', 1: 'CRC32', 2: 'CRC32C' }

/**
 * `complete` answers false until a DataNode has reported the file's last block (its incremental
 * block report races our call): asked again after the retry helper's full-jitter backoff from
 * 2 ms (the report usually arrives within a few ms), capped at 1 s, for about 30 s in all.
 */
const COMPLETE_RETRY = { retries: 60, retryDelay: 2, maxDelay: 1000 }

/** `complete` said false (one instance: the retry loop only asks its class). */
class NotCompleteYet extends Error {}
const NOT_COMPLETE_YET = new NotCompleteYet('not complete yet')

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

  /** The status of `path` (absolute), undefined when nothing is there. */
  async getFileInfo(path: string): Promise<HdfsStatus | undefined> {
    const r = await this.call('getFileInfo', new Pb().bytes(1, path))
    const s = msg(r, 1)
    if (!s) return undefined
    const f = decode(s)
    return {
      type: FILE_TYPES[(num(f, 1) ?? 2) as 1 | 2 | 3] ?? 'FILE',
      length: num(f, 3) ?? 0,
      modificationTime: num(f, 7) ?? 0,
      blockSize: num(f, 11) ?? 0,
    }
  }

  /** mkdirs (with parents when `parents`); false when the NameNode did not make it. */
  async mkdirs(path: string, parents: boolean, permission = 0o755): Promise<boolean> {
    const r = await this.call('mkdirs', new Pb().bytes(1, path).bytes(2, new Pb().uint(1, permission)).bool(3, parents))
    return num(r, 1) === 1
  }

  /** delete; false when nothing was there. */
  async delete(path: string, recursive: boolean): Promise<boolean> {
    const r = await this.call('delete', new Pb().bytes(1, path).bool(2, recursive))
    return num(r, 1) === 1
  }

  /** The old rename: false (no exception) when it did not happen, e.g. `to` exists. */
  async rename(from: string, to: string): Promise<boolean> {
    const r = await this.call('rename', new Pb().bytes(1, from).bytes(2, to))
    return num(r, 1) === 1
  }

  /**
   * rename2: `to` replaced atomically when `overwrite` (a file over a file; never a directory),
   * else FileAlreadyExistsException when it exists.
   */
  async rename2(from: string, to: string, overwrite: boolean): Promise<void> {
    await this.call('rename2', new Pb().bytes(1, from).bytes(2, to).bool(3, overwrite))
  }

  /** concat: `sources`' blocks appended to `target` in order, the sources removed. */
  async concat(target: string, sources: readonly string[]): Promise<void> {
    const req = new Pb().bytes(1, target)
    for (const s of sources) req.bytes(2, s)
    await this.call('concat', req)
  }

  /**
   * The file's checksum exactly as GETFILECHECKSUM states it (MD5-of-MD5-of-CRC), composed as
   * hadoop's client composes it (FileChecksumHelper): the NameNode's block list, each block's
   * BLOCK_CHECKSUM from one of its DataNodes, the MD5 of the block MD5s.
   */
  async fileChecksum(path: string): Promise<HdfsFileChecksumAnswer> {
    const r = await this.call('getBlockLocations', new Pb().bytes(1, path).uint(2, 0).uint(3, WHOLE_FILE))
    const locations = msg(r, 1)
    if (!locations) throw new HdfsRpcError(`java.io.FileNotFoundException: File does not exist: ${path}`, 'FileNotFoundException')
    const blocks = (decode(locations).get(2) ?? []).filter(Buffer.isBuffer).map(located)
    const sums: BlockChecksum[] = await Promise.all(blocks.map(blockChecksum))
    return composeFileChecksum(sums)
  }

  /** The cluster's default replication (dfs.replication), asked once. */
  private defaultReplication(): Promise<number> {
    this.replication ??= this.call('getServerDefaults', new Pb()).then(
      (f) => num(sub(f, 1), 4) ?? 3,
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
    const fileId = num(sub(created, 1), 13) ?? 0
    this.holdLease(1)
    let pipeline: BlockPipeline | undefined
    let previous: Block | undefined
    /** Each finished block's checksum as its DataNodes accepted it (BlockPipeline.finish). */
    const stated: BlockChecksum[] = []
    let pending: Buffer[] = []
    let pendingBytes = 0
    /** Bytes of the finished blocks. */
    let committed = 0
    let completed = false
    let done = false
    const release = (): void => {
      if (done) return
      done = true
      this.holdLease(-1)
    }
    const addBlock = async (): Promise<BlockPipeline> => {
      const req = new Pb().bytes(1, path).bytes(2, this.clientName)
      if (previous) req.bytes(3, blockPb(previous))
      req.uint(5, fileId)
      const r = await this.call('addBlock', req)
      return new BlockPipeline(located(msg(r, 1) ?? Buffer.alloc(0)), this.clientName)
    }
    const endBlock = async (): Promise<void> => {
      if (!pipeline) return
      const p = pipeline
      pipeline = undefined
      const { bytes, checksum } = await p.finish()
      previous = { ...p.lb.block, numBytes: bytes }
      committed += bytes
      stated.push(checksum)
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
          if (previous) req.bytes(3, blockPb(previous))
          req.uint(4, fileId)
          const r = await attempt(
            async () => {
              if (num(await this.call('complete', req), 1) !== 1) throw NOT_COMPLETE_YET
            },
            { ...COMPLETE_RETRY, retryable: (err) => err instanceof NotCompleteYet },
          )
          completed = r.ok
          if (r.ok) return
          if (r.error instanceof NotCompleteYet) throw new HdfsRpcError(`${path}: the NameNode did not complete the file (block not reported)`, 'NotReplicatedYetException')
          throw r.error
        } finally {
          release()
        }
      },
      storedChecksum: async () => composeFileChecksum(stated),
      storedLength: () => {
        if (!completed) throw new HdfsRpcError(`${path}: not completed`, 'IOException')
        return committed
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

/** hadoop's file checksum from its blocks' (FileChecksumHelper: MD5MD5CRC32FileChecksum's fields). */
export function composeFileChecksum(blocks: readonly BlockChecksum[]): HdfsFileChecksumAnswer {
  const first = blocks[0]
  const bytesPerCrc = first?.bytesPerCrc ?? 0
  // crcPerBlock is stated only for files of more than one block.
  const crcPerBlock = blocks.length > 1 ? (first?.crcPerBlock ?? 0) : 0
  const type = first?.crcType ?? 1
  for (const b of blocks) {
    if (b.bytesPerCrc !== bytesPerCrc) throw new HdfsRpcError(`bytes per CRC differ between blocks (${b.bytesPerCrc}, ${bytesPerCrc})`, 'IOException')
    if (b.crcType !== type) throw new HdfsRpcError('CRC types differ between blocks (MIXED): no file checksum', 'IOException')
  }
  // WebHDFS states the 28 bytes written (int, long, MD5) as its DataOutputBuffer's whole 32.
  const out = Buffer.alloc(32)
  out.writeInt32BE(bytesPerCrc, 0)
  out.writeBigInt64BE(BigInt(crcPerBlock), 4)
  Buffer.from(hdfsFileMd5(blocks.map((b) => b.md5)), 'hex').copy(out, 12)
  return { algorithm: `MD5-of-${crcPerBlock}MD5-of-${bytesPerCrc}${CRC_NAMES[type] ?? 'CRC32C'}`, bytes: out.toString('hex'), length: 28 }
}

