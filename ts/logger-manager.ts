// LoggerManager: one Logger per event, file `{dir of logFilePath}/{event}.log`, made lazily.
import { dirname, join } from 'node:path'
import type { LoggerOptions } from './config.js'
import { CopyJobHost } from './copy/copy-job-host.js'
import { call, LogferryError } from './errors.js'
import { Logger, shardBufferLimit, type FlushMetrics, type Stats } from './logger.js'
import { native, type NativeOptions } from './native.js'
import { toManagerOptions, type LoggerManagerOptions } from './options/logger-manager-options.js'

export type { LoggerManagerOptions } from './options/logger-manager-options.js'

/** How the buffer budget is shared out right now (docs/engine.md, 'Buffer budget'). */
export interface BufferBudget {
  /** Bytes all event loggers' buffers may fill together. */
  maxBufferBytes: number
  /** Open event loggers. */
  events: number
  /** Bytes each shard buffer of each open event holds before it is written. */
  shardBufferLimit: number
  /** What that makes per event: 2 buffers x numShards x shardBufferLimit. */
  eventBufferBytes: number
}

const ZERO: Stats = { totalLogs: 0, droppedLogs: 0, bytesWritten: 0, flushes: 0, flushErrors: 0, rotations: 0 }

function addStats(a: Stats, b: Stats): Stats {
  return {
    totalLogs: a.totalLogs + b.totalLogs,
    droppedLogs: a.droppedLogs + b.droppedLogs,
    bytesWritten: a.bytesWritten + b.bytesWritten,
    flushes: a.flushes + b.flushes,
    flushErrors: a.flushErrors + b.flushErrors,
    rotations: a.rotations + b.rotations,
  }
}

/**
 * One logger per event, plus periodic copy jobs (startCopy & co. from CopyJobHost; their state
 * files default to `{log dir}/.logferry-copy/`).
 */
export class LoggerManager extends CopyJobHost {
  readonly #base: LoggerOptions
  readonly #native: NativeOptions
  readonly #maxBufferBytes: number
  #shardLimit: number
  readonly #dir: string
  readonly #loggers = new Map<string, Logger>()
  readonly #aliases = new Map<string, string>()
  #retired: Stats = { ...ZERO }
  #retiredMetrics: FlushMetrics[] = []
  #closed = false
  readonly #onSealed: ((event: string, path: string) => void) | undefined
  readonly #sealedListeners = new Set<(event: string, path: string) => void>()

  constructor(options: LoggerManagerOptions, onSealed?: (event: string, path: string) => void) {
    super()
    // Validate once, up front (event loggers are created lazily).
    const o = toManagerOptions(options)
    this.#base = o.logger
    this.#native = o.native
    this.#maxBufferBytes = o.maxBufferBytes
    this.#shardLimit = this.#limitFor(1)
    this.#dir = dirname(options.logFilePath)
    this.#onSealed = onSealed
  }

  /** The shard buffer limit of each of `events` open loggers (ERR_BUFFER_BUDGET if too many). */
  #limitFor(events: number): number {
    return call(() => native.eventShardBufferLimit(this.#native, this.#maxBufferBytes, events))
  }

  /** Gives every open event logger the share of `limit` bytes per shard buffer. */
  #share(limit: number): void {
    this.#shardLimit = limit
    for (const l of this.#loggers.values()) l[shardBufferLimit](limit)
  }

  /** How the buffer budget (`maxBufferBytes`) is shared out over the open events now. */
  get bufferBudget(): BufferBudget {
    const events = this.#loggers.size
    const shards = this.#base.numShards ?? 8
    return {
      maxBufferBytes: this.#maxBufferBytes,
      events,
      shardBufferLimit: this.#shardLimit,
      eventBufferBytes: 2 * shards * this.#shardLimit,
    }
  }

  protected copyStateDir(): string {
    return join(this.#dir, '.logferry-copy')
  }

  /** The directory every event's file is in. */
  get directory(): string {
    return this.#dir
  }

  /**
   * Calls `listener(event, path)` for every file sealed from now on, in addition to the
   * constructor's callback. Returns a function that removes the listener.
   */
  subscribeSealed(listener: (event: string, path: string) => void): () => void {
    this.#sealedListeners.add(listener)
    return () => {
      this.#sealedListeners.delete(listener)
    }
  }

  #name(event: string): string {
    if (typeof event !== 'string') throw new LogferryError('ERR_INVALID_EVENT_NAME', 'event name must be a string')
    let n = this.#aliases.get(event)
    if (n === undefined) {
      n = call(() => native.sanitizeEventName(event))
      this.#aliases.set(event, n)
    }
    return n
  }

  #logger(event: string): Logger {
    if (this.#closed) throw new LogferryError('ERR_LOGGER_CLOSED', 'logger manager is closed')
    const name = this.#name(event)
    let l = this.#loggers.get(name)
    if (!l) {
      // Refused (ERR_BUFFER_BUDGET) before anything is opened when the budget cannot take it.
      const limit = this.#limitFor(this.#loggers.size + 1)
      l = new Logger({ ...this.#base, logFilePath: join(this.#dir, `${name}.log`) })
      const cb = this.#onSealed
      if (cb) l.on('sealed', (p) => cb(name, p))
      l.on('sealed', (p) => {
        for (const f of this.#sealedListeners) f(name, p)
      })
      this.#loggers.set(name, l)
      this.#share(limit)
    }
    return l
  }

  logWithEvent(event: string, message: string): void {
    this.#logger(event).log(message)
  }

  logBytesWithEvent(event: string, bytes: Uint8Array): boolean {
    return this.#logger(event).logBytes(bytes)
  }

  initializeEventLogger(event: string): void {
    this.#logger(event)
  }

  hasEventLogger(event: string): boolean {
    try {
      return this.#loggers.has(this.#name(event))
    } catch {
      return false
    }
  }

  listEventLoggers(): string[] {
    return [...this.#loggers.keys()].sort()
  }

  /** The logger of one event (created if needed). */
  eventLogger(event: string): Logger {
    return this.#logger(event)
  }

  async closeEventLogger(event: string): Promise<boolean> {
    const name = this.#name(event)
    const l = this.#loggers.get(name)
    if (!l) return false
    this.#loggers.delete(name)
    // The others get the freed share (as soon as their buffers are next written).
    if (this.#loggers.size > 0) this.#share(this.#limitFor(this.#loggers.size))
    await l.close()
    this.#retire(l)
    return true
  }

  #retire(l: Logger): void {
    this.#retired = addStats(this.#retired, l.getStats())
    this.#retiredMetrics.push(l.getFlushMetrics())
  }

  async flush(): Promise<void> {
    await Promise.all([...this.#loggers.values()].map((l) => l.flush()))
  }

  getAggregatedStats(): Stats {
    let s = this.#retired
    for (const l of this.#loggers.values()) s = addStats(s, l.getStats())
    return s
  }

  getAggregatedFlushMetrics(): FlushMetrics {
    const all = [...this.#retiredMetrics, ...[...this.#loggers.values()].map((l) => l.getFlushMetrics())]
    const flushes = all.reduce((a, m) => a + m.flushes, 0)
    const weighted = (k: keyof FlushMetrics) => (flushes === 0 ? 0 : all.reduce((a, m) => a + m[k] * m.flushes, 0) / flushes)
    return {
      flushes,
      avgFlushDuration: weighted('avgFlushDuration'),
      maxFlushDuration: all.reduce((a, m) => Math.max(a, m.maxFlushDuration), 0),
      avgWriteDuration: weighted('avgWriteDuration'),
      writePercent: weighted('writePercent'),
      avgPwritevDuration: weighted('avgPwritevDuration'),
      pwritevPercent: weighted('pwritevPercent'),
    }
  }

  /** Stops the copy jobs (waiting up to 10 s for a run in progress), then closes every logger. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.stopAllCopies()
    const all = [...this.#loggers.values()]
    this.#loggers.clear()
    await Promise.all(all.map((l) => l.close()))
    for (const l of all) this.#retire(l)
  }

  /** Closes every logger synchronously; copy jobs are halted (a run in progress is aborted). */
  closeSync(): void {
    if (this.#closed) return
    this.#closed = true
    this.haltCopies()
    for (const l of this.#loggers.values()) {
      l.closeSync()
      this.#retire(l)
    }
    this.#loggers.clear()
  }
}
