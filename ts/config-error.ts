// ConfigError: an invalid configuration value, naming the key path and the problem.
import { LogferryError } from './errors.js'

export interface ConfigErrorDetails {
  /** Dotted path of the offending key, e.g. `handlers.app.rotation` ('' for the whole config). */
  key?: string
  /** File the configuration came from. */
  file?: string
  /** 1-based line and column of a YAML syntax error. */
  line?: number
  column?: number
  cause?: unknown
}

/** Code ERR_INVALID_CONFIG. The message starts with the file (and line:column) and key path. */
export class ConfigError extends LogferryError {
  readonly key: string | undefined
  readonly file: string | undefined
  readonly line: number | undefined
  readonly column: number | undefined

  constructor(problem: string, details: ConfigErrorDetails = {}) {
    const where = [details.file, details.line !== undefined ? `${details.line}:${details.column ?? 1}` : undefined]
      .filter((x) => x !== undefined)
      .join(':')
    const key = details.key ? `${details.key}: ` : ''
    super('ERR_INVALID_CONFIG', `${where ? `${where}: ` : ''}${key}${problem}`, { cause: details.cause })
    this.name = 'ConfigError'
    this.key = details.key
    this.file = details.file
    this.line = details.line
    this.column = details.column
  }
}

/** Shorthand: a ConfigError about `key`. */
export function invalidConfig(key: string, problem: string, cause?: unknown): ConfigError {
  return new ConfigError(problem, { key, cause })
}
