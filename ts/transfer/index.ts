/** transferFiles: copies files between storage backends with retries, verification and a report. */
export { transferFiles } from './transfer.js'
export { parseBandwidth } from './bandwidth.js'
export { ZstdCompressStream } from './zstd-stream.js'
export { CommandError, TransferError, TransferAbortError, type TransferErrorCode, type InvalidArgError } from './errors.js'
export type {
  Compression,
  ConcreteMethod,
  FileOutcome,
  FileReport,
  HadoopOptions,
  MethodAttempt,
  OverwritePolicy,
  PlannedFiles,
  PlannedSourceFile,
  ScpOptions,
  SourceFiles,
  TransferMethod,
  TransferOptions,
  TransferProgress,
  TransferReport,
  TransferTotals,
} from './types.js'
export { checkTransfer, type TransferCheck, type TransferCheckOptions, type MethodCheck, type ToolCheck, type EndpointCheck, type RouteCheck, type ProblemInfo, type SpaceInfo } from './check.js'
export * from './managers/index.js'
