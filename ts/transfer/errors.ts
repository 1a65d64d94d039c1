/** Errors transferFiles throws or reports, each with a stable `code`. */
import type { TransferReport } from './types.js'

export type TransferErrorCode = 'ERR_METHOD_UNAVAILABLE' | 'ERR_VERIFY_FAILED' | 'ERR_TARGET_COLLISION' | 'ABORT_ERR'

export class TransferError extends Error {
  override readonly name: string = 'TransferError'
  readonly code: TransferErrorCode

  constructor(code: TransferErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/** Thrown when the signal aborts a transfer; `report` holds what was done until then. */
export class TransferAbortError extends TransferError {
  override readonly name = 'AbortError'
  readonly report: TransferReport | undefined

  constructor(reason: unknown, report?: TransferReport) {
    super('ABORT_ERR', 'transfer aborted', { cause: reason })
    this.report = report
  }
}

export type InvalidArgError = (TypeError | RangeError) & { code: 'ERR_INVALID_ARG' }

/** A TypeError (wrong type) or RangeError (bad value) with code 'ERR_INVALID_ARG'. */
export function invalidArg(kind: 'type' | 'range', message: string): InvalidArgError {
  const err = (kind === 'type' ? new TypeError(message) : new RangeError(message)) as InvalidArgError
  Object.defineProperty(err, 'code', { value: 'ERR_INVALID_ARG', enumerable: true })
  return err
}
