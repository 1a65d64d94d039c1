// Logger options: types, defaults and validation with clear messages.
import { configError } from './errors.js'
import type { NativeOptions } from './native.js'
import { boolean, integer, object, oneOf, optional, required, string, type Field } from './options/schema.js'
import { invalidConfigReporter, validateOptions } from './options/validate-options.js'

export type LogFormat = 'text' | 'framed'
export type ShardSelection = 'thread' | 'roundRobin'
export type OnFull = 'block' | 'drop'

export interface LoggerOptions {
  /** File the logger writes; rotated files are sealed beside it. */
  logFilePath: string
  /** Bytes of one buffer generation over all shards (default 64 MiB). */
  bufferSize?: number
  /** Number of shards (default 8). */
  numShards?: number
  /** Rotate when the file reaches this size (default 1 GiB). */
  maxFileSize?: number
  /** Most a file reserves with fallocate(KEEP_SIZE), in steps ahead of its data, capped by maxFileSize (default 1 GiB; docs/engine.md). */
  preallocateFileSize?: number
  /** Partially filled buffers are written at least this often, in ms (default 10000). */
  flushInterval?: number
  /** How long flush/close wait for a failing disk, in ms (default 10000). */
  flushTimeout?: number
  format?: LogFormat
  shardSelection?: ShardSelection
  onFull?: OnFull
  /** O_DIRECT where the filesystem allows it (default true). */
  directIo?: boolean
}

const MAX = Number.MAX_SAFE_INTEGER
const report = invalidConfigReporter()

/** Every key of LoggerOptions (the `satisfies` keeps the two in step); LoggerManager's options add to them. */
export const LOGGER_FIELDS = {
  logFilePath: required(string({ nonEmpty: true }), 'must be a non-empty string'),
  bufferSize: optional(integer({ min: 4096, max: 2 ** 40 })),
  numShards: optional(integer({ min: 1, max: 1024 })),
  maxFileSize: optional(integer({ min: 4096, max: MAX })),
  preallocateFileSize: optional(integer({ min: 0, max: MAX })),
  flushInterval: optional(integer({ min: 1, max: 2 ** 31 })),
  flushTimeout: optional(integer({ min: 0, max: 2 ** 31 })),
  format: optional(oneOf(['text', 'framed'] as const)),
  shardSelection: optional(oneOf(['thread', 'roundRobin'] as const)),
  onFull: optional(oneOf(['block', 'drop'] as const)),
  directIo: optional(boolean()),
} satisfies Record<keyof LoggerOptions, Field<unknown>>
const LOGGER = object(LOGGER_FIELDS)

/** Validates user options and maps them to the binding's options. */
export function toNativeOptions(options: LoggerOptions): NativeOptions {
  if (options === null || typeof options !== 'object') {
    throw configError('type', 'options must be an object with at least logFilePath')
  }
  return validateOptions(LOGGER, options, report)
}
