/** LogManager: YAML-configured loggers, handlers and formats over the native engine. */
export { LogManager, type LogManagerOptions } from './log-manager.js'
export { ManagedLogger, type ChildOptions, type LogFields } from './managed-logger.js'
export type { JsonFormatOptions } from './json-format.js'
export type { RedactConfig } from './redact.js'
export { structuredLogger, type StructuredLogger, type StructuredLoggerOptions } from './structured-logger.js'
export type {
  CopyJobConfig,
  DurationSpec,
  HandlerBinding,
  HandlerConfig,
  LoggerConfig,
  LogManagerConfig,
  SizeSpec,
} from './config-types.js'
export type { LevelName, ThresholdName } from './levels.js'
export { parseYaml } from './load-config.js'
export { sealedFilesOf, type SealedFile } from './retention.js'
