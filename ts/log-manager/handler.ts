/** A LogManager handler: one native text-format Logger, its format (JSON or a template), level and retention. */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { Logger } from '../logger.js'
import { templateFormat } from './format-template.js'
import { jsonFormat } from './json-format.js'
import type { ProcessContext, RecordFormat } from './record-format.js'
import { applyRetention } from './retention.js'
import type { ResolvedHandler } from './validate-config.js'

export class Handler {
  readonly name: string
  readonly sink: string
  readonly format: RecordFormat
  readonly #config: ResolvedHandler
  readonly #logger: Logger
  readonly #onWarning: (err: Error) => void
  #retention: Promise<string[]> = Promise.resolve([])

  constructor(h: ResolvedHandler, ctx: ProcessContext, onWarning: (err: Error) => void) {
    this.name = h.name
    this.sink = h.sink
    this.format = h.format.kind === 'json' ? jsonFormat(h.format.options, ctx) : templateFormat(h.format.template, ctx)
    this.#config = h
    this.#onWarning = onWarning
    mkdirSync(dirname(h.sink), { recursive: true })
    this.#logger = new Logger({
      logFilePath: h.sink,
      format: 'text',
      bufferSize: h.bufferSize,
      flushInterval: h.flushInterval,
      ...(h.rotation !== undefined ? { maxFileSize: h.rotation, preallocateFileSize: Math.min(h.rotation, 64 * 2 ** 20) } : { preallocateFileSize: 0 }),
    })
    if (h.retention) {
      this.#logger.on('sealed', () => {
        this.applyRetention().catch((err: unknown) => this.#onWarning(err as Error))
      })
    }
  }

  /** The engine logger behind this handler (stats, 'sealed' events). */
  get logger(): Logger {
    return this.#logger
  }

  /** One line from the format (never ends with a newline). */
  write(line: string): void {
    this.#logger.logLine(line)
  }

  /** Deletes rotated files the retention rule no longer keeps; one pass at a time. */
  applyRetention(): Promise<string[]> {
    const rule = this.#config.retention
    if (!rule) return Promise.resolve([])
    const next = this.#retention.catch(() => []).then(() => applyRetention(this.sink, rule))
    this.#retention = next
    return next
  }

  flush(): Promise<void> {
    return this.#logger.flush()
  }

  async close(): Promise<void> {
    await this.#logger.close()
    await this.#retention.catch(() => [])
  }
}
