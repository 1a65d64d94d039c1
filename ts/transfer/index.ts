/** transferFiles: copies files between storage backends with retries, verification and a report. */
export { transferFiles } from './transfer.js'
export { TransferError, TransferAbortError, type TransferErrorCode, type InvalidArgError } from './errors.js'
export type {
  FileOutcome,
  FileReport,
  OverwritePolicy,
  SourceFiles,
  TransferMethod,
  TransferOptions,
  TransferProgress,
  TransferReport,
  TransferTotals,
} from './types.js'
