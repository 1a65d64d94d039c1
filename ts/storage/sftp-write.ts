/**
 * The pipelined write of one SFTP file handle: many SSH_FXP_WRITE requests in flight, each sized
 * to fill whole SSH channel packets, so the bytes are on the wire while the server acknowledges
 * earlier ones (one request at a time is bound by round trips).
 */
import type { SFTPWrapper } from 'ssh2'

/** What the pipeline needs of a connection: its SFTP channel and whether it is gone. */
export interface WriteSession {
  readonly sftp: SFTPWrapper
  readonly closed: boolean
  /** The connection's socket, corked while one chunk's requests are issued (one writev, not one per packet). */
  readonly socket?: { cork(): void; uncork(): void }
}

/** ssh2 internals read for the request size (absent in other versions: the defaults apply). */
interface ChannelLimits {
  outgoing?: { packetSize?: number }
  /** The server's largest write (limits@openssh.com; OpenSSH: 255 KiB). */
  _maxWriteLen?: number
}

/** ssh2 internals the direct write uses (ssh2 1.x SFTP.js); when one is missing, sftp.write is used. */
interface SftpInternals {
  _writeReqid: number
  _requests: Record<number, { cb: (err?: Error) => void }>
  _buffer: unknown[]
  _protocol: { channelData(id: number, data: Buffer): void }
  outgoing: { id: number; window: number; packetSize: number; state: string }
  _maxWriteLen: number
}

const SSH_FXP_WRITE = 6
const MAX_REQID = 2 ** 32 - 1

/**
 * One SSH_FXP_WRITE sent as a small packet with its header followed by the data in channel
 * packets taken straight from `chunk`: ssh2's own write first copies header and data into one
 * request buffer (a second copy of every byte and a new 229 KiB buffer per request, 1/3 of the
 * bytes the JS heap churns through on a large upload). Only when the channel's window takes the
 * whole request now and nothing of ssh2's is queued before it (requests go out in order):
 * 'window' when the window is too small now, 'unsupported' otherwise (then sftp.write).
 */
export function writeDirect(sftp: SFTPWrapper, handle: Buffer, chunk: Buffer, pos: number, len: number, at: number, cb: (err?: Error) => void): 'sent' | 'window' | 'unsupported' {
  const s = sftp as unknown as Partial<SftpInternals>
  const out = s.outgoing
  const proto = s._protocol
  if (!out || !proto || typeof s._writeReqid !== 'number' || !s._requests || !Array.isArray(s._buffer) || typeof s._maxWriteLen !== 'number') return 'unsupported'
  const head = WRITE_OVERHEAD + handle.length
  if (out.state !== 'open' || s._buffer.length > 0 || len > s._maxWriteLen || !(out.packetSize > 0)) return 'unsupported'
  if (out.window < head + len) return 'window'
  const header = Buffer.allocUnsafe(head)
  header.writeUInt32BE(head - 4 + len, 0)
  header[4] = SSH_FXP_WRITE
  // The same request ids ssh2 gives: its answers are matched in the same table.
  const reqid = (s._writeReqid = (s._writeReqid + 1) & MAX_REQID)
  header.writeUInt32BE(reqid >>> 0, 5)
  header.writeUInt32BE(handle.length, 9)
  handle.copy(header, 13)
  header.writeBigUInt64BE(BigInt(at), 13 + handle.length)
  header.writeUInt32BE(len, 21 + handle.length)
  s._requests[reqid] = { cb }
  out.window -= head + len
  proto.channelData(out.id, header)
  for (let p = 0; p < len; p += out.packetSize) proto.channelData(out.id, chunk.subarray(pos + p, pos + Math.min(len, p + out.packetSize)))
  return 'sent'
}

/**
 * Wakes `wake` when the server next widens the channel's window (ssh2 calls the channel's
 * `_chunkcb` then), unless ssh2 is waiting for it with requests of its own queued (then the
 * next acknowledgement wakes the pipeline).
 */
function wakeOnWindow(sftp: SFTPWrapper, wake: () => void): void {
  const s = sftp as unknown as Partial<SftpInternals> & { _waitWindow?: boolean; _chunkcb?: () => void }
  if (!Array.isArray(s._buffer) || s._buffer.length > 0 || s._chunkcb !== undefined) return
  s._waitWindow = true
  s._chunkcb = () => {
    s._chunkcb = undefined
    wake()
  }
}

/** SSH_FXP_WRITE bytes besides the data and the handle: length, type, id, handle length, offset, data length. */
const WRITE_OVERHEAD = 4 + 1 + 4 + 4 + 8 + 4

/** Bytes of requests in flight (the server's channel window is 2 MiB on OpenSSH: twice that keeps it full). */
export const MAX_INFLIGHT_BYTES = 4 << 20

export const connectionLost = (): Error => Object.assign(new Error('SFTP connection lost'), { code: 'ECONNRESET' })

/**
 * The data bytes of one request: whole channel packets (an SSH_FXP_WRITE of 32 KiB of data is
 * 32 KiB + 29 bytes, which ssh2 sends as a full packet and a 29-byte one) up to the server's
 * write limit.
 */
export function writeRequestSize(sftp: SFTPWrapper, handleLength: number): number {
  const limits = sftp as unknown as ChannelLimits
  const packet = limits.outgoing?.packetSize ?? 32 << 10
  const maxWrite = limits._maxWriteLen ?? (32 << 10) - WRITE_OVERHEAD - handleLength
  const overhead = WRITE_OVERHEAD + handleLength
  const packets = Math.max(1, Math.floor((maxWrite + overhead) / packet))
  return Math.max(1 << 10, Math.min(maxWrite, packets * packet - overhead))
}

/**
 * Writes a file as requests in flight across chunks, up to MAX_INFLIGHT_BYTES: write() resolves
 * once its requests are sent, so the next chunk goes out while the server acknowledges the
 * previous one. drain() waits for every acknowledgement and reports the first failure. Memory
 * stays bounded by the window (ssh2 copies each request's bytes when it is issued).
 */
export class WritePipeline {
  private offset = 0
  private inflight = 0
  private failure: unknown
  private waiters: (() => void)[] = []
  /** The last request did not fit the channel's window: wait for an acknowledgement first. */
  private windowShort = false
  private readonly request: number
  /** Ends of the requests in flight, in offset order, and whether each was acknowledged. */
  private readonly pending: { end: number; done: boolean }[] = []
  /** Every byte before this offset is acknowledged. */
  private ackedTo = 0
  /** Called when the acknowledged prefix grows (a hash following the upload reads up to there). */
  onAcked: ((offset: number) => void) | undefined

  constructor(
    private readonly session: WriteSession,
    private readonly handle: Buffer,
  ) {
    this.request = writeRequestSize(session.sftp, handle.length)
  }

  /** Every byte before this offset is acknowledged by the server. */
  get acked(): number {
    return this.ackedTo
  }

  async write(chunk: Buffer): Promise<void> {
    for (let pos = 0; pos < chunk.length; ) {
      while ((this.inflight >= MAX_INFLIGHT_BYTES || this.windowShort) && this.failure === undefined) {
        this.windowShort = false
        await this.settle()
      }
      this.check()
      const socket = this.session.socket
      socket?.cork()
      try {
        while (pos < chunk.length && this.inflight < MAX_INFLIGHT_BYTES) {
          const len = Math.min(this.request, chunk.length - pos)
          const at = this.offset + pos
          const req = { end: at + len, done: false }
          const done = (err?: Error | null): void => {
            this.inflight -= len
            if (err && this.failure === undefined) this.failure = err
            req.done = !err
            this.advance()
            this.wake()
          }
          const sent = writeDirect(this.session.sftp, this.handle, chunk, pos, len, at, done)
          if (sent === 'window' && this.inflight > 0) {
            // The window opens as the server consumes what is in flight: wait for it (or an
            // acknowledgement) rather than have ssh2 queue a copy of the request.
            this.windowShort = true
            wakeOnWindow(this.session.sftp, () => this.wake())
            break
          }
          if (sent !== 'sent') this.session.sftp.write(this.handle, chunk, pos, len, at, done)
          this.inflight += len
          this.pending.push(req)
          pos += len
        }
      } finally {
        socket?.uncork()
      }
    }
    this.offset += chunk.length
  }

  /** Bytes handed to write() so far. */
  get bytes(): number {
    return this.offset
  }

  /** Resolves when every request was acknowledged; rejects with the first failure. */
  async drain(): Promise<void> {
    while (this.inflight > 0 && !this.session.closed && this.failure === undefined) await this.settle()
    this.check()
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure
    if (this.session.closed) throw connectionLost()
  }

  /** Waits for an acknowledgement, or 1 s (ssh2 never answers after the channel closed). */
  private settle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 1000)
      this.waiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  private advance(): void {
    const before = this.ackedTo
    while (this.pending.length > 0 && (this.pending[0] as { done: boolean }).done) this.ackedTo = (this.pending.shift() as { end: number }).end
    if (this.ackedTo > before) this.onAcked?.(this.ackedTo)
  }

  private wake(): void {
    const w = this.waiters
    this.waiters = []
    for (const r of w) r()
  }
}
