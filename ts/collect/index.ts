/** `logferry/collect`: the programmatic side of `logferry collect` (docs/collect.md). */
export { createCollector, createCollectorFromDir } from './collector.js'
export type { Collector, CollectorOptions, CollectEvent, FailedFile, FileOutcome, PassProgress, PassSummary, RunOptions, StatusRow } from './collector.js'
export { loadCollectConfig, parseDotEnv } from './config.js'
export type { CollectConfig, CollectServer, LoadOptions } from './config.js'
export { extractFile } from './extract.js'
export type { CompressionFormat, Extraction, InvalidReason } from './extract.js'
export type { ErrorType, FileRecord, FileRow, FileState } from './state.js'
