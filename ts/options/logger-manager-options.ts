/**
 * LoggerManager's options: every Logger option (each event's logger gets them) plus the
 * buffer budget `maxBufferBytes` shared out over the open events (docs/engine.md).
 */
import { LOGGER_FIELDS, toNativeOptions, type LoggerOptions } from '../config.js'
import { configError, call } from '../errors.js'
import { native, type NativeOptions } from '../native.js'
import { object, optional, size } from './schema.js'
import { invalidConfigReporter, validateOptions } from './validate-options.js'

export interface LoggerManagerOptions extends LoggerOptions {
  /**
   * Bytes the buffers of all event loggers may fill together: a number or a size like
   * '512 MiB' (default 1 GiB). With n events open, each shard buffer is written once it holds
   * maxBufferBytes / n / (2 * numShards) bytes (at most its size, at least 64 KiB); an event
   * that would need less throws ERR_BUFFER_BUDGET.
   */
  maxBufferBytes?: number | string
}

const MANAGER = object({
  ...LOGGER_FIELDS,
  maxBufferBytes: optional(size({ min: 1, belowMin: 'must be at least 1 byte' })),
})

const report = invalidConfigReporter()

export interface ResolvedManagerOptions {
  /** What each event's logger is opened with (its logFilePath replaced). */
  logger: LoggerOptions
  native: NativeOptions
  maxBufferBytes: number
}

/** Validates LoggerManager options (unknown keys and bad values: ERR_INVALID_CONFIG). */
export function toManagerOptions(options: LoggerManagerOptions): ResolvedManagerOptions {
  if (options === null || typeof options !== 'object') {
    throw configError('type', 'options must be an object with at least logFilePath')
  }
  const { maxBufferBytes, ...rest } = validateOptions(MANAGER, options, report)
  const logger = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as unknown as LoggerOptions
  const nativeOptions = toNativeOptions(logger)
  const budget = maxBufferBytes ?? native.defaultMaxBufferBytes()
  call(() => native.checkBufferBudget(nativeOptions, budget))
  return { logger, native: nativeOptions, maxBufferBytes: budget }
}
