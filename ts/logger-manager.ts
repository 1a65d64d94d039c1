// LoggerManager: one Logger per event, file `{dir of logFilePath}/{event}.log`, made lazily.
import { dirname, join } from 'node:path'
import { toNativeOptions, type LoggerOptions } from './config.js'
import { CopyJobHost } from './copy/copy-job-host.js'
import { call, LogferryError } from './errors.js'
import { Logger, type FlushMetrics, type Stats } from './logger.js'
import { native } from './native.js'

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
  readonly #dir: string
  readonly #loggers = new Map<string, Logger>()
  readonly #aliases = new Map<string, string>()
  #retired: Stats = { ...ZERO }
  #retiredMetrics: FlushMetrics[] = []
  #closed = false
  readonly #onSealed: ((event: string, path: string) => void) | undefined
  readonly #sealedListeners = new Set<(event: string, path: string) => void>()

  constructor(options: LoggerOptions, onSealed?: (event: string, path: string) => void) {
    super()
    // Validate once, up front (event loggers are created lazily).
    toNativeOptions(options)
    this.#base = options
    this.#dir = dirname(options.logFilePath)
    this.#onSealed = onSealed
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
      l = new Logger({ ...this.#base, logFilePath: join(this.#dir, `${name}.log`) })
      const cb = this.#onSealed
      if (cb) l.on('sealed', (p) => cb(name, p))
      l.on('sealed', (p) => {
        for (const f of this.#sealedListeners) f(name, p)
      })
      this.#loggers.set(name, l)
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
