/** The LogManager configuration, as written in YAML or passed as an object. */
import type { CopyJobOptions } from '../copy/types.js'
import type { JsonFormatOptions } from './json-format.js'
import type { ThresholdName } from './levels.js'
import type { RedactConfig } from './redact.js'

/** A size: "10 MB", "512 KiB", or a number of bytes. */
export type SizeSpec = string | number
/** A duration: "1 week", "3 days", "12h", "30s", or a number of milliseconds. */
export type DurationSpec = string | number

export interface HandlerConfig {
  /** The log file (relative paths resolve against the working directory). */
  sink: string
  /**
   * 'json' (pino's line shape), a name from `formats`, or an inline template (default
   * "{time} | {level} | {name} | {message}{extra}").
   */
  format?: string
  /** Options of `format: 'json'`: level labels, ISO time, message key, base fields. */
  json?: JsonFormatOptions
  /** Lowest level this handler writes (default trace: every record its loggers pass). */
  level?: ThresholdName | Uppercase<ThresholdName> | 'warning' | 'WARNING' | 'critical' | 'CRITICAL'
  /** Rotate the file at this size (engine maxFileSize; at least 4096 bytes). Default: the engine's 1 GiB. */
  rotation?: SizeSpec
  /** Keep rotated files this long ("1 week"), or keep this many (a number, or "5 files"). Default: keep all. */
  retention?: DurationSpec | number
  /** Engine buffer size (default "4 MiB"). */
  bufferSize?: SizeSpec
  /** Engine flush interval (default "1s"). */
  flushInterval?: DurationSpec
}

export interface HandlerBinding {
  handler: string
  level?: HandlerConfig['level']
}

export interface LoggerConfig {
  /** Handler names, or bindings with their own level. */
  handlers: (string | HandlerBinding)[]
  /** Lowest level the logger passes on (default info). */
  level?: HandlerConfig['level']
  /** Field paths written as "[Redacted]" (pino's redact): ['req.headers.authorization', 'users[*].password']. */
  redact?: string[] | RedactConfig
}

/** A copy job in config: CopyJobOptions, with durations allowed as strings and Python-style snake_case keys. */
export type CopyJobConfig = Omit<CopyJobOptions, 'interval' | 'retryDelay' | 'settleTime'> & {
  interval?: DurationSpec
  retryDelay?: DurationSpec
  settleTime?: DurationSpec
}

export interface LogManagerConfig {
  /** Named templates; placeholders {time} {level} {message} {name} {pid} {hostname} {bindings} {extra}. */
  formats?: Record<string, string>
  handlers?: Record<string, HandlerConfig>
  /** Logger name -> { handlers, level }, or (Python style) a list of { handler, level }. */
  loggers?: Record<string, LoggerConfig | HandlerBinding[]>
  /** Copy jobs, started with the manager unless autoStartCopy is false. */
  copy?: CopyJobConfig[]
  /** Default true. */
  autoStartCopy?: boolean
}
