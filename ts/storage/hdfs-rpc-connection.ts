/**
 * One connection to a NameNode's RPC port (Hadoop IPC, RPC version 9, protobuf engine), calls
 * multiplexed by call id and answered in any order. Only simple authentication (user name, no
 * SASL): a cluster that wants more closes the connection or answers with a fatal error. Field
 * numbers from Hadoop's RpcHeader, ProtobufRpcEngine and IpcConnectionContext .proto files.
 */
import { connect, type Socket } from 'node:net'
import { Pb, decode, delimit, num, str, takeDelimited, type Fields } from './hdfs-protobuf.js'

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

export const CLIENT_PROTOCOL = 'org.apache.hadoop.hdfs.protocol.ClientProtocol'
/** Hadoop's RPC version 9, service class 0, auth protocol NONE (simple authentication). */
const CONNECTION_PREAMBLE = Buffer.concat([Buffer.from('hrpc'), Buffer.from([9, 0, 0])])
const CONNECTION_CONTEXT_CALL_ID = -3

interface Pending {
  resolve: (body: Buffer) => void
  reject: (err: Error) => void
}

export class RpcConnection {
  private readonly socket: Socket
  private readonly pending = new Map<number, Pending>()
  private nextId = 0
  private input: Buffer = Buffer.alloc(0)
  private failure: Error | undefined
  /** The RpcRequestHeaderProto fields after the call id (the client id), encoded once. */
  private readonly headerTail: Buffer
  /**
   * Frames of calls made since the last write: sent together once the current tick's callbacks
   * have run, so the calls of several files answered by one read cost one socket write.
   */
  private outbox: Buffer[] = []

  constructor(host: string, port: number, user: string, clientId: Buffer) {
    this.headerTail = new Pb().bytes(4, clientId).finish()
    this.socket = connect({ host, port, noDelay: true })
    // The preamble and the connection context go with the first call, in one write.
    const context = new Pb().bytes(2, new Pb().bytes(1, user)).bytes(3, CLIENT_PROTOCOL)
    this.socket.write(Buffer.concat([CONNECTION_PREAMBLE, this.frame(CONNECTION_CONTEXT_CALL_ID, [context.delimited()])]))
    this.socket.on('data', (b: Buffer) => this.onData(b))
    this.socket.on('error', (err) => this.fail(new HdfsRpcError(`NameNode RPC ${host}:${port}: ${err.message}`, undefined, { cause: err })))
    this.socket.on('close', () => this.fail(new HdfsRpcError(`NameNode RPC ${host}:${port}: connection closed`, undefined)))
    this.socket.unref()
  }

  get broken(): boolean {
    return this.failure !== undefined
  }

  private frame(callId: number, bodies: Buffer[]): Buffer {
    // RpcRequestHeaderProto: rpcKind RPC_PROTOCOL_BUFFER (2), rpcOp RPC_FINAL_PACKET (0), callId, clientId.
    const header = new Pb().uint(1, 2).uint(2, 0).sint(3, callId)
    const delimitedHeader = delimit(Buffer.concat([header.finish(), this.headerTail]))
    let length = delimitedHeader.length
    for (const b of bodies) length += b.length
    const len = Buffer.allocUnsafe(4)
    len.writeUInt32BE(length)
    return Buffer.concat([len, delimitedHeader, ...bodies])
  }

  call(method: string, request: Pb): Promise<Fields> {
    if (this.failure) return Promise.reject(this.failure)
    const id = this.nextId++
    // RequestHeaderProto: methodName, declaringClassProtocolName, clientProtocolVersion.
    const header = new Pb().bytes(1, method).bytes(2, CLIENT_PROTOCOL).uint(3, 1)
    return new Promise<Buffer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.socket.ref()
      if (this.outbox.push(this.frame(id, [header.delimited(), request.delimited()])) === 1) process.nextTick(() => this.flush())
    }).then(decode)
  }

  private flush(): void {
    const frames = this.outbox
    this.outbox = []
    if (this.failure) return
    this.socket.write(frames.length === 1 ? (frames[0] as Buffer) : Buffer.concat(frames))
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
    // RpcResponseHeaderProto: callId (uint32), status (0 SUCCESS, 1 ERROR, 2 FATAL), exception class, message.
    const h = decode(head.message)
    const id = num(h, 1) ?? 0
    const status = num(h, 2) ?? 0
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
