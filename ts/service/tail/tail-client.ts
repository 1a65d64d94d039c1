/**
 * One client of a live tail: sends its backlog (read from the file at the client's pace), then
 * the live events its follower delivers. A client never makes the server hold more than its
 * bounded buffer (bufferLines / bufferBytes, or one event of one read block when that is more)
 * plus what its transport has accepted: lines that
 * do not fit are dropped, counted, and the count is sent as a `dropped` event before the next
 * lines the client gets (Loki's dropped_entries). A client that takes nothing for stallTimeout
 * is disconnected; a stream ends after maxDuration.
 */
import type { Readable } from 'node:stream'
import type { FollowerEvent, LinesEvent } from './follower-events.js'
import type { Joined, TailSubscriber } from './follower-pool.js'
import { formatPosition, markAt, markOf } from './content-mark.js'
import { LineSplitter } from './line-splitter.js'
import type { TailTransport } from './tail-transport.js'
import type { EndEvent, WireEvent } from './wire-events.js'

export interface ClientLimits {
  bufferLines: number
  bufferBytes: number
  stallTimeout: number
  maxDuration: number
  /** Heartbeat period (ms). */
  heartbeat?: number
}

const BLOCK = 64 * 1024
const MAX_TIMER = 2 ** 31 - 1
/** Lines per event when sending a backlog. */
const BACKLOG_LINES = 1000

export class TailClient implements TailSubscriber {
  private readonly queue: WireEvent[] = []
  private queuedLines = 0
  private queuedBytes = 0
  private droppedLines = 0
  private live = false
  private blocked = false
  private ended = false
  private stall: NodeJS.Timeout | undefined
  private readonly timers: NodeJS.Timeout[] = []
  private readonly closedHandlers: (() => void)[] = []
  /** Lines dropped over the client's life. */
  totalDropped = 0

  constructor(
    private readonly transport: TailTransport,
    private readonly limits: ClientLimits,
  ) {
    transport.onClose(() => this.close())
    // Longer than a timer can wait (about 24.8 days): no limit.
    if (limits.maxDuration <= MAX_TIMER) {
      const end = setTimeout(() => this.end({ type: 'end', reason: 'max-duration' }), limits.maxDuration)
      end.unref()
      this.timers.push(end)
    }
    const beat = setInterval(() => {
      if (!this.blocked) transport.heartbeat()
    }, limits.heartbeat ?? 15_000)
    beat.unref()
    this.timers.push(beat)
  }

  /** Calls `fn` once the client is gone (ended by either side). */
  onClosed(fn: () => void): void {
    if (this.ended) fn()
    else this.closedHandlers.push(fn)
  }

  get isEnded(): boolean {
    return this.ended
  }

  /** Bytes this client makes the server hold: its queue and what its transport buffers. */
  get heldBytes(): number {
    return this.queuedBytes + this.transport.buffered
  }

  deliver(e: FollowerEvent): void {
    if (this.ended) return
    if (e.type === 'failed') {
      this.queue.push({ type: 'end', reason: 'failed', message: `${e.code}: ${e.message}` })
      this.queuedLines++
      this.pump()
      return
    }
    const n = e.type === 'lines' ? e.lines.length : 1
    const bytes = e.type === 'lines' ? e.bytes : 0
    // An empty queue takes any one event (a read block's lines may be more than the bound).
    if (this.queue.length > 0 && (this.queuedLines + n > this.limits.bufferLines || this.queuedBytes + bytes > this.limits.bufferBytes)) {
      if (e.type === 'lines') {
        this.droppedLines += n
        this.totalDropped += n
      }
      return
    }
    this.noteDropped()
    this.queue.push(e)
    this.queuedLines += n
    this.queuedBytes += bytes
    this.pump()
  }

  /** Sends the backlog of `joined`, then goes live. */
  async start(joined: Joined): Promise<void> {
    const { file, from, to } = joined.backlog
    try {
      if (joined.resumeLost) await this.sendNow({ type: 'gap', reason: 'resume-point-lost' })
      const splitter = new LineSplitter(Number.MAX_SAFE_INTEGER)
      const buf = Buffer.allocUnsafe(BLOCK)
      let pos = from
      let lines: string[] = []
      let bytes = 0
      while (pos < to && !this.ended) {
        const { bytesRead } = await file.handle.read(buf, 0, Math.min(BLOCK, to - pos), pos)
        if (bytesRead === 0) break
        pos += bytesRead
        const got = splitter.push(buf.subarray(0, bytesRead))
        for (const l of got.lines) lines.push(l)
        bytes += got.bytes
        if (lines.length > 0 && (lines.length >= BACKLOG_LINES || pos >= to)) {
          const end = pos - splitter.pending
          const mark = (await markAt(file.handle, end)) ?? markOf(Buffer.alloc(0))
          await this.sendNow({ type: 'lines', lines, bytes, id: formatPosition({ offset: end, mark }) })
          lines = []
          bytes = 0
        }
      }
    } finally {
      file.release()
    }
    this.live = true
    this.pump()
  }

  /** Sends the lines of a stream that is not followed (a compressed file's tail), then ends. */
  async sendStatic(content: Readable, reason: EndEvent['reason']): Promise<void> {
    const splitter = new LineSplitter(Number.MAX_SAFE_INTEGER)
    let lines: string[] = []
    let bytes = 0
    const flush = async (): Promise<void> => {
      if (lines.length > 0) await this.sendNow({ type: 'lines', lines, bytes, id: '' } satisfies LinesEvent)
      lines = []
      bytes = 0
    }
    for await (const chunk of content as AsyncIterable<Buffer>) {
      if (this.ended) break
      const got = splitter.push(chunk)
      for (const l of got.lines) lines.push(l)
      bytes += got.bytes
      if (lines.length >= BACKLOG_LINES) await flush()
    }
    const last = splitter.flush()
    if (last !== undefined) lines.push(last)
    await flush()
    this.end({ type: 'end', reason })
  }

  /** Ends the stream with `e` (sent after what is queued, if the client is keeping up). */
  end(e: EndEvent): void {
    if (this.ended) return
    if (!this.blocked) {
      this.noteDropped()
      for (const q of this.queue.splice(0)) this.transport.send(q)
      this.transport.send(e)
    }
    this.transport.end()
    this.close()
  }

  private noteDropped(): void {
    if (this.droppedLines === 0) return
    this.queue.push({ type: 'dropped', count: this.droppedLines })
    this.queuedLines++
    this.droppedLines = 0
  }

  /** Sends `e` now (backlog), waiting while the peer is behind. */
  private async sendNow(e: WireEvent): Promise<void> {
    if (this.ended) return
    if (!this.transport.send(e)) await this.drained()
  }

  private drained(): Promise<void> {
    this.blocked = true
    this.armStall()
    return new Promise((resolve) =>
      this.transport.onDrain(() => {
        this.blocked = false
        this.disarmStall()
        resolve()
      }),
    )
  }

  private pump(): void {
    if (!this.live || this.blocked || this.ended) return
    for (;;) {
      const e = this.queue.shift()
      if (e === undefined) {
        // Caught up after a drop with nothing new: say what was dropped now.
        if (this.droppedLines === 0) return
        this.noteDropped()
        continue
      }
      this.queuedLines -= e.type === 'lines' ? e.lines.length : 1
      this.queuedBytes -= e.type === 'lines' ? e.bytes : 0
      const ok = this.transport.send(e)
      if (e.type === 'end') {
        this.transport.end()
        this.close()
        return
      }
      if (!ok) {
        void this.drained().then(() => this.pump())
        return
      }
    }
  }

  private armStall(): void {
    this.disarmStall()
    if (this.limits.stallTimeout > MAX_TIMER) return
    this.stall = setTimeout(() => {
      // Nothing taken for stallTimeout: the peer is gone or stuck; its connection (and what it
      // buffers) is dropped.
      this.transport.abort()
      this.close()
    }, this.limits.stallTimeout)
    this.stall.unref()
  }

  private disarmStall(): void {
    if (this.stall !== undefined) clearTimeout(this.stall)
    this.stall = undefined
  }

  /** Lets the client go (its peer gone, or it never started): nothing more is sent. */
  close(): void {
    if (this.ended) return
    this.ended = true
    this.disarmStall()
    for (const t of this.timers) clearTimeout(t)
    this.queue.length = 0
    this.queuedLines = 0
    this.queuedBytes = 0
    for (const fn of this.closedHandlers.splice(0)) fn()
  }
}
