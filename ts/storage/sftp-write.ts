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
      while (this.inflight >= MAX_INFLIGHT_BYTES && this.failure === undefined) await this.settle()
      this.check()
      const socket = this.session.socket
      socket?.cork()
      try {
        while (pos < chunk.length && this.inflight < MAX_INFLIGHT_BYTES) {
          const len = Math.min(this.request, chunk.length - pos)
          const at = this.offset + pos
          this.inflight += len
          const req = { end: at + len, done: false }
          this.pending.push(req)
          this.session.sftp.write(this.handle, chunk, pos, len, at, (err) => {
            this.inflight -= len
            if (err && this.failure === undefined) this.failure = err
            req.done = !err
            this.advance()
            this.wake()
          })
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
