/**
 * The logger getLogger() returns: levelled methods in both call styles (`info(msg, fields)` and
 * pino's `info(fields, msg)`, `info(err)`), child loggers whose bindings are rendered once at
 * creation, `level` get/set, redaction.
 */
import { LogferryError } from '../errors.js'
import { renderFields } from './fields.js'
import type { Handler } from './handler.js'
import { jsonFields } from './json-fields.js'
import { LEVELS, SILENT, parseLevel, type LevelName, type ThresholdName } from './levels.js'
import type { BoundFormat } from './record-format.js'
import type { Redactor } from './redact.js'

export type LogFields = Readonly<Record<string, unknown>>

export interface LoggerTarget {
  handler: Handler
  /** The handler's level and the binding's: the logger's own level applies on top. */
  floor: number
}

export interface ChildOptions {
  /** The child's own level (default: the parent's). */
  level?: ThresholdName
}

const LABELS = new Map<number, ThresholdName>([...Object.entries(LEVELS).map(([k, v]) => [v, k as ThresholdName] as const), [SILENT, 'silent']])

function badArg(message: string): LogferryError {
  return new LogferryError('ERR_INVALID_ARG', message)
}

export class ManagedLogger {
  readonly name: string
  readonly bindings: LogFields
  readonly #targets: readonly LoggerTarget[]
  readonly #bound: readonly BoundFormat[]
  readonly #json: readonly boolean[]
  readonly #redact: Redactor | undefined
  #thresholds: number[] = []
  #level = 0
  /** Lowest threshold over the targets: the one comparison a disabled call costs. */
  #min = SILENT

  constructor(name: string, targets: readonly LoggerTarget[], level: number, redact?: Redactor, bindings: LogFields = {}) {
    this.name = name
    this.#targets = targets
    this.#redact = redact
    this.bindings = Object.freeze(redact ? { ...redact(bindings) } : { ...bindings })
    this.#bound = targets.map((t) => t.handler.format.bind(name, this.bindings))
    this.#json = targets.map((t) => t.handler.format.fields === 'json')
    this.#setLevel(level)
  }

  #setLevel(n: number): void {
    this.#level = n
    this.#thresholds = this.#targets.map((t) => Math.max(n, t.floor))
    this.#min = Math.min(SILENT, ...this.#thresholds)
  }

  /** The logger's own level; its handlers' levels still apply (a record must pass both). */
  get level(): ThresholdName {
    return LABELS.get(this.#level) ?? 'trace'
  }

  set level(value: ThresholdName) {
    this.#setLevel(parseLevel('level', value))
  }

  /** True when at least one handler would write a record of this level. */
  isLevelEnabled(level: LevelName): boolean {
    const n = LEVELS[level]
    return n !== undefined && n >= this.#min
  }

  #write(level: number, a: unknown, b: unknown): void {
    let fields: LogFields | undefined
    let message: unknown
    if (typeof a === 'string') {
      message = a
      if (b !== undefined) {
        if (typeof b !== 'object' || b === null) throw badArg('log fields must be an object')
        fields = b as LogFields
      }
    } else if (typeof a === 'object' && a !== null) {
      if (a instanceof Error) {
        fields = { err: a }
        message = b === undefined ? a.message : b
      } else {
        fields = a as LogFields
        message = b
        // pino: an `err` field gives the message when there is none.
        if (b === undefined && (a as { err?: unknown }).err instanceof Error && (a as { msg?: unknown }).msg === undefined) message = ((a as { err: Error }).err).message
      }
      if (message !== undefined && typeof message !== 'string') throw badArg(`log message must be a string, got ${typeof message}`)
    } else {
      throw badArg(`log message must be a string, got ${a === null ? 'null' : typeof a}`)
    }
    if (fields !== undefined && this.#redact !== undefined) fields = this.#redact(fields)
    const bound = this.#bound
    if (bound.length === 1) {
      const frag = fields === undefined ? '' : this.#json[0] ? jsonFields(fields) : renderFields(fields)
      ;(this.#targets[0] as LoggerTarget).handler.write((bound[0] as BoundFormat).line(level, frag, message as string | undefined))
      return
    }
    let json: string | undefined
    let text: string | undefined
    for (let i = 0; i < bound.length; i++) {
      if (level < (this.#thresholds[i] as number)) continue
      const frag = fields === undefined ? '' : this.#json[i] ? (json ??= jsonFields(fields)) : (text ??= renderFields(fields))
      ;(this.#targets[i] as LoggerTarget).handler.write((bound[i] as BoundFormat).line(level, frag, message as string | undefined))
    }
  }

  /**
   * Writes a record at `level` to every handler whose threshold (logger, binding and handler
   * level together) it reaches. Takes the same arguments as `info`.
   */
  log(level: LevelName, a: string | LogFields | Error, b?: LogFields | string): void {
    const n = LEVELS[level]
    if (n === undefined) throw badArg(`unknown level ${JSON.stringify(level)}`)
    if (n >= this.#min) this.#write(n, a, b)
  }

  trace(message: string, fields?: LogFields): void
  trace(fields: LogFields | Error, message?: string): void
  trace(a: string | LogFields | Error, b?: LogFields | string): void {
    if (this.#min <= 10) this.#write(10, a, b)
  }
  debug(message: string, fields?: LogFields): void
  debug(fields: LogFields | Error, message?: string): void
  debug(a: string | LogFields | Error, b?: LogFields | string): void {
    if (this.#min <= 20) this.#write(20, a, b)
  }
  info(message: string, fields?: LogFields): void
  info(fields: LogFields | Error, message?: string): void
  info(a: string | LogFields | Error, b?: LogFields | string): void {
    if (this.#min <= 30) this.#write(30, a, b)
  }
  warn(message: string, fields?: LogFields): void
  warn(fields: LogFields | Error, message?: string): void
  warn(a: string | LogFields | Error, b?: LogFields | string): void {
    if (this.#min <= 40) this.#write(40, a, b)
  }
  error(message: string, fields?: LogFields): void
  error(fields: LogFields | Error, message?: string): void
  error(a: string | LogFields | Error, b?: LogFields | string): void {
    if (this.#min <= 50) this.#write(50, a, b)
  }
  fatal(message: string, fields?: LogFields): void
  fatal(fields: LogFields | Error, message?: string): void
  fatal(a: string | LogFields | Error, b?: LogFields | string): void {
    if (this.#min <= 60) this.#write(60, a, b)
  }

  /** A logger with the same handlers and these bindings merged over the current ones, rendered once here. */
  child(bindings: LogFields, options: ChildOptions = {}): ManagedLogger {
    if (typeof bindings !== 'object' || bindings === null) throw badArg('child() takes an object of bindings')
    const level = options.level === undefined ? this.#level : parseLevel('level', options.level)
    return new ManagedLogger(this.name, this.#targets, level, this.#redact, { ...this.bindings, ...bindings })
  }
}
