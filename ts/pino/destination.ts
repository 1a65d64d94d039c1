/**
 * A pino destination over the native engine: `pino(opts, destination({ logFilePath }))`. pino
 * formats the lines; the engine writes them (batched, rotated, sealed, lossless at exit). Stands
 * where pino.destination() (sonic-boom) would, with the methods pino calls on it.
 */
import { EventEmitter } from 'node:events'
import type { LoggerOptions } from '../config.js'
import { LogferryError } from '../errors.js'
import { Logger } from '../logger.js'

/** The engine's options; `format` is always text (pino writes newline-terminated lines). */
export type DestinationOptions = Omit<LoggerOptions, 'format'>

type Events = { ready: []; finish: []; close: []; error: [err: Error] }

export class PinoDestination extends EventEmitter<Events> {
  /** The engine logger behind the destination (stats, 'sealed' events). */
  readonly logger: Logger
  #ending = false

  constructor(options: DestinationOptions) {
    super()
    this.logger = new Logger({ ...options, format: 'text' })
    // sonic-boom announces an open file; code written for it waits for this.
    process.nextTick(() => this.emit('ready'))
  }

  /** pino takes an object as its stream when this is true. */
  get writable(): boolean {
    return !this.#ending
  }

  /** One line from pino (its trailing newline is the record separator). */
  write(line: string): boolean {
    this.logger.log(line)
    return true
  }

  /** Writes what was logged so far to the file; pino's logger.flush(cb) calls this. */
  flush(cb?: (err?: Error) => void): void {
    this.logger.flush().then(
      () => cb?.(),
      (err: unknown) => (cb ? cb(err as Error) : this.emit('error', err as Error)),
    )
  }

  flushSync(): void {
    this.logger.flushSync()
  }

  /** Closes (and seals) the file, then emits 'finish' and 'close'. */
  end(): void {
    if (this.#ending) return
    this.#ending = true
    this.logger.close().then(
      () => {
        this.emit('finish')
        this.emit('close')
      },
      (err: unknown) => this.emit('error', err as Error),
    )
  }

  destroy(): void {
    this.end()
  }
}

/** A destination writing to `options` (or a path) through the engine. */
export function destination(options: DestinationOptions | string): PinoDestination {
  const o = typeof options === 'string' ? { logFilePath: options } : options
  if (typeof o !== 'object' || o === null) throw new LogferryError('ERR_INVALID_ARG', 'destination() takes a path or logger options')
  return new PinoDestination(o)
}
