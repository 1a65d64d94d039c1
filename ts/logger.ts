// Logger: the TypeScript face of one native engine instance.
import { EventEmitter } from 'node:events'
import { toNativeOptions, type LogFormat, type LoggerOptions } from './config.js'
import { call, callAsync, LogferryError } from './errors.js'
import { registerActiveLogPath, unregisterActiveLogPath } from './active-log-paths.js'
import { track, untrack } from './exit-hooks.js'
import { native, type NativeLogger } from './native.js'

export interface Stats {
  /** Records accepted: they will reach the file. */
  totalLogs: number
  /** Records refused because the buffers were full (onFull: 'drop'). */
  droppedLogs: number
  bytesWritten: number
  flushes: number
  /** Failed write attempts; each was retried, none lost. */
  flushErrors: number
  rotations: number
}

export interface FlushMetrics {
  flushes: number
  /** Milliseconds. */
  avgFlushDuration: number
  maxFlushDuration: number
  avgWriteDuration: number
  writePercent: number
  avgPwritevDuration: number
  pwritevPercent: number
}

export interface BatchResult {
  accepted: number
  dropped: number
}

export type LogRecord = string | Uint8Array

type Events = { sealed: [path: string] }

/**
 * Internal (not exported by the package): LoggerManager's buffer budget reads and sets the
 * fill level at which this logger's shard buffers are written (docs/engine.md, 'Buffer budget').
 */
export const shardBufferLimit = Symbol('logferry.shardBufferLimit')

const MAX_PENDING_RECORDS = 512
const MAX_PENDING_CHARS = 256 * 1024

/**
 * A lossless file logger. `log()` queues strings briefly in JS and hands them to the engine
 * in one call per batch (at the latest on the next turn of the event loop, and always before
 * `flush`, `close`, `getStats` and process exit).
 */
export class Logger extends EventEmitter<Events> {
  readonly path: string
  readonly format: LogFormat
  readonly #native: NativeLogger
  readonly #maxRecord: number
  readonly #pendingLimit: number
  #pending: string[] = []
  #pendingChars = 0
  #scheduled = false
  #closed = false

  constructor(options: LoggerOptions) {
    super()
    const nativeOptions = toNativeOptions(options)
    // Sealed files are pushed from the engine (a weak threadsafe function: an open logger does
    // not keep the process alive); flush/close drain what was not pushed yet.
    this.#native = call(() => new native.NativeLogger(nativeOptions, (paths) => this.#deliver(paths)))
    this.path = nativeOptions.logFilePath
    this.format = (nativeOptions.format ?? 'text') as LogFormat
    this.#maxRecord = this.#native.maxRecordSize()
    // Worst case 3 UTF-8 bytes per UTF-16 unit: a pending run always fits in one buffer.
    this.#pendingLimit = Math.max(1, Math.min(MAX_PENDING_CHARS, Math.floor(this.#maxRecord / 3) - 1))
    track(this)
    registerActiveLogPath(this.path)
  }

  /** Sets (when given) and returns the bytes a shard buffer holds before it is written. */
  [shardBufferLimit](bytes?: number): number {
    if (bytes !== undefined) call(() => this.#native.setShardBufferLimit(bytes))
    return this.#native.shardBufferLimit()
  }

  /** Largest record in bytes. */
  get maxRecordSize(): number {
    return this.#maxRecord
  }

  get closed(): boolean {
    return this.#closed
  }

  #checkOpen(): void {
    if (this.#closed) throw new LogferryError('ERR_LOGGER_CLOSED', 'logger is closed')
  }

  /** Logs one string record. */
  log(message: string): void {
    this.#checkOpen()
    if (typeof message !== 'string') {
      throw new LogferryError('ERR_INVALID_ARG', `log() takes a string, got ${typeof message}`)
    }
    if (this.format === 'text' && message.charCodeAt(message.length - 1) === 10) {
      message = message.slice(0, -1)
    }
    this.#queue(message)
  }

  /**
   * Logs one text record that does not end with a newline (a formatter's line): log() without
   * the trailing-newline check, which would flatten a concatenated string once more per record.
   */
  logLine(line: string): void {
    this.#checkOpen()
    this.#queue(line)
  }

  #queue(message: string): void {
    const n = message.length
    if (n > this.#pendingLimit) {
      const bytes = Buffer.byteLength(message)
      if (bytes > this.#maxRecord) {
        throw new LogferryError('ERR_RECORD_TOO_LARGE', `record of ${bytes} bytes exceeds the largest record (${this.#maxRecord} bytes); raise bufferSize or lower numShards`)
      }
      this.#drain()
      this.#writeRun([message])
      return
    }
    if (this.#pendingChars + n + 1 > this.#pendingLimit) this.#drain()
    this.#pending.push(message)
    this.#pendingChars += n + 1
    if (this.#pending.length >= MAX_PENDING_RECORDS) {
      this.#drain()
    } else if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(() => {
        this.#scheduled = false
        if (!this.#closed) this.#drain()
      })
    }
  }

  /** Logs one binary record. Returns false if it was dropped (onFull: 'drop'). */
  logBytes(bytes: Uint8Array): boolean {
    this.#checkOpen()
    if (!(bytes instanceof Uint8Array)) {
      throw new LogferryError('ERR_INVALID_ARG', 'logBytes() takes a Uint8Array or Buffer')
    }
    this.#drain()
    return call(() => this.#native.writeBytes(bytes))
  }

  /** Logs many records with one call into the engine per group. */
  logBatch(records: ReadonlyArray<LogRecord>): BatchResult {
    this.#checkOpen()
    if (!Array.isArray(records)) throw new LogferryError('ERR_INVALID_ARG', 'logBatch() takes an array')
    this.#drain()
    let strings = this.format === 'text'
    for (const r of records) {
      if (typeof r !== 'string') {
        if (!(r instanceof Uint8Array)) throw new LogferryError('ERR_INVALID_ARG', 'logBatch() records must be strings or Uint8Arrays')
        strings = false
      }
    }
    if (strings) {
      // Text: groups of strings joined by newlines, one native call per group.
      let accepted = 0
      let dropped = 0
      let group: string[] = []
      let chars = 0
      const flushGroup = () => {
        if (group.length === 0) return
        const ok = this.#writeRun(group)
        if (ok) accepted += group.length
        else dropped += group.length
        group = []
        chars = 0
      }
      for (let r of records as string[]) {
        if (r.charCodeAt(r.length - 1) === 10) r = r.slice(0, -1)
        if (r.length > this.#pendingLimit) {
          flushGroup()
          const bytes = Buffer.byteLength(r)
          if (bytes > this.#maxRecord) {
            throw new LogferryError('ERR_RECORD_TOO_LARGE', `record of ${bytes} bytes exceeds the largest record (${this.#maxRecord} bytes)`)
          }
          group.push(r)
          flushGroup()
          continue
        }
        if (chars + r.length + 1 > this.#pendingLimit) flushGroup()
        group.push(r)
        chars += r.length + 1
      }
      flushGroup()
      return { accepted, dropped }
    }
    const [accepted = 0, dropped = 0] = call(() => this.#native.writeBatch(records as LogRecord[]))
    return { accepted, dropped }
  }

  #writeRun(group: string[]): boolean {
    if (this.format === 'text') {
      const joined = group.length === 1 ? group[0]! : group.join('\n')
      return call(() => this.#native.writeText(joined, group.length, false))
    }
    const [, dropped = 0] = call(() => this.#native.writeBatch(group))
    return dropped === 0
  }

  #drain(): void {
    if (this.#pending.length === 0) return
    const group = this.#pending
    this.#pending = []
    this.#pendingChars = 0
    this.#writeRun(group)
  }

  #deliver(paths: readonly string[]): void {
    for (const p of paths) this.emit('sealed', p)
  }

  #emitSealed(): void {
    this.#deliver(this.#native.takeSealed())
  }

  /** Writes everything logged so far to the file (off the JS thread). */
  async flush(): Promise<void> {
    this.#checkOpen()
    this.#drain()
    await callAsync(() => this.#native.flush())
    this.#emitSealed()
  }

  flushSync(): void {
    this.#checkOpen()
    this.#drain()
    call(() => this.#native.flushSync())
    this.#emitSealed()
  }

  /** Flushes, fsyncs and seals the file. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#drain()
    this.#closed = true
    untrack(this)
    try {
      await callAsync(() => this.#native.close())
    } finally {
      unregisterActiveLogPath(this.path)
    }
    this.#emitSealed()
  }

  closeSync(): void {
    if (this.#closed) return
    this.#drain()
    this.#closed = true
    untrack(this)
    try {
      call(() => this.#native.closeSync())
    } finally {
      unregisterActiveLogPath(this.path)
    }
    this.#emitSealed()
  }

  getStats(): Stats {
    if (!this.#closed) this.#drain()
    return this.#native.stats()
  }

  getFlushMetrics(): FlushMetrics {
    return this.#native.flushMetrics()
  }
}
