/** The logger getLogger() returns: levelled methods, fields, child loggers with bindings. */
import { LogferryError } from '../errors.js'
import { renderFields, oneLine } from './fields.js'
import type { RecordView, Template } from './format-template.js'
import type { Handler } from './handler.js'
import { LEVEL_LABELS, LEVELS, type LevelName } from './levels.js'

export type LogFields = Readonly<Record<string, unknown>>

export interface LoggerTarget {
  handler: Handler
  threshold: number
}

export interface ProcessContext {
  pid: string
  hostname: string
}

export class ManagedLogger {
  readonly name: string
  readonly bindings: LogFields
  readonly #targets: readonly LoggerTarget[]
  readonly #ctx: ProcessContext
  readonly #bindingsText: string
  /** Lowest threshold over the targets: cheaper than a loop for disabled levels. */
  readonly #min: number

  constructor(name: string, targets: readonly LoggerTarget[], ctx: ProcessContext, bindings: LogFields = {}) {
    this.name = name
    this.#targets = targets
    this.#ctx = ctx
    this.bindings = Object.freeze({ ...bindings })
    this.#bindingsText = renderFields(this.bindings)
    this.#min = Math.min(...targets.map((t) => t.threshold))
  }

  /** True when at least one handler would write a record of this level. */
  isLevelEnabled(level: LevelName): boolean {
    return LEVELS[level] >= this.#min
  }

  /**
   * Writes `message` at `level` to every handler whose threshold (logger, binding and handler
   * level together) it reaches. `fields` are shown by {extra}, after the child bindings.
   */
  log(level: LevelName, message: string, fields?: LogFields): void {
    const value = LEVELS[level]
    if (value === undefined) throw new LogferryError('ERR_INVALID_ARG', `unknown level ${JSON.stringify(level)}`)
    if (value < this.#min) return
    if (typeof message !== 'string') throw new LogferryError('ERR_INVALID_ARG', `log message must be a string, got ${typeof message}`)
    if (fields !== undefined && (typeof fields !== 'object' || fields === null)) {
      throw new LogferryError('ERR_INVALID_ARG', 'log fields must be an object')
    }
    const view: RecordView = {
      time: new Date().toISOString(),
      level: LEVEL_LABELS[level],
      message: oneLine(message),
      name: this.name,
      pid: this.#ctx.pid,
      hostname: this.#ctx.hostname,
      bindings: this.#bindingsText,
      extra: fields ? this.#bindingsText + renderFields(fields) : this.#bindingsText,
    }
    const rendered = new Map<Template, string>()
    for (const t of this.#targets) {
      if (value < t.threshold) continue
      let line = rendered.get(t.handler.template)
      if (line === undefined) {
        line = oneLine(t.handler.template(view))
        rendered.set(t.handler.template, line)
      }
      t.handler.write(line)
    }
  }

  trace(message: string, fields?: LogFields): void {
    this.log('trace', message, fields)
  }
  debug(message: string, fields?: LogFields): void {
    this.log('debug', message, fields)
  }
  info(message: string, fields?: LogFields): void {
    this.log('info', message, fields)
  }
  warn(message: string, fields?: LogFields): void {
    this.log('warn', message, fields)
  }
  error(message: string, fields?: LogFields): void {
    this.log('error', message, fields)
  }
  fatal(message: string, fields?: LogFields): void {
    this.log('fatal', message, fields)
  }

  /** A logger with the same handlers and these bindings merged over the current ones. */
  child(bindings: LogFields): ManagedLogger {
    if (typeof bindings !== 'object' || bindings === null) throw new LogferryError('ERR_INVALID_ARG', 'child() takes an object of bindings')
    return new ManagedLogger(this.name, this.#targets, this.#ctx, { ...this.bindings, ...bindings })
  }
}
