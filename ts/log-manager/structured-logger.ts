/**
 * One structured logger on one file, without a config: `structuredLogger({ sink, json })`. A
 * LogManager with one handler and one logger underneath (same formats, levels, redaction,
 * rotation and retention); `close()` closes it.
 */
import type { HandlerConfig, LoggerConfig } from './config-types.js'
import { LogManager } from './log-manager.js'
import type { ManagedLogger } from './managed-logger.js'

export interface StructuredLoggerOptions extends Omit<HandlerConfig, 'level' | 'format'> {
  /** The logger's name, written as "name" (default "app"). Config errors name it as the handler's and logger's key. */
  name?: string
  /** Default 'json' (pino's line shape, with the `json` options); or a template. */
  format?: string
  /** Lowest level written (default info). */
  level?: LoggerConfig['level']
  redact?: LoggerConfig['redact']
}

export interface StructuredLogger extends ManagedLogger {
  /** Writes everything logged so far to the file. */
  flush(): Promise<void>
  /** Closes (and seals) the file. */
  close(): Promise<void>
}

export function structuredLogger(options: StructuredLoggerOptions): StructuredLogger {
  const { name = 'app', level, redact, format = 'json', ...handler } = options
  const manager = new LogManager({
    handlers: { [name]: { ...handler, format } },
    loggers: { [name]: { handlers: [name], ...(level !== undefined ? { level } : {}), ...(redact !== undefined ? { redact } : {}) } },
  })
  const log = manager.getLogger(name)
  return Object.assign(log, { flush: () => manager.flush(), close: () => manager.close() })
}
