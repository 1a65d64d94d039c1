/** Errors transferFiles throws or reports, each with a stable `code`. */
import type { TransferReport } from './types.js'

export type TransferErrorCode =
  | 'ERR_METHOD_UNAVAILABLE'
  | 'ERR_VERIFY_FAILED'
  | 'ERR_TARGET_COLLISION'
  | 'ERR_COMMAND_FAILED'
  | 'ERR_MIRROR_INCOMPLETE'
  | 'ABORT_ERR'

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

/** An external tool (hadoop, scp) that exited non-zero, timed out or could not start. */
export class CommandError extends TransferError {
  override readonly name = 'CommandError'
  /** The executable that ran. */
  readonly command: string
  readonly exitCode: number | null
  /** The end of its error output (bounded). */
  readonly stderr: string
  /** Worth another attempt (connection refused, timeout, NameNode in safe mode, ...). */
  readonly transient: boolean
  readonly timedOut: boolean

  constructor(
    message: string,
    o: { command: string; exitCode: number | null; stderr: string; transient: boolean | null; timedOut?: boolean; cause?: unknown },
  ) {
    super('ERR_COMMAND_FAILED', message, { cause: o.cause })
    this.command = o.command
    this.exitCode = o.exitCode
    this.stderr = o.stderr
    this.timedOut = o.timedOut ?? false
    this.transient = o.transient ?? isTransientOutput(o.stderr)
  }
}

/** Output of a failed hadoop/ssh command that means "try again later", not "this cannot work". */
const TRANSIENT_OUTPUT = [
  /Connection refused/i,
  /ConnectException/,
  /Connection (reset|timed out|closed)/i,
  /SocketTimeoutException|timed out/i,
  /No route to host/i,
  /RetriableException|SafeModeException|StandbyException/,
  /Temporary failure in name resolution/i,
  /lost connection/i,
  /Broken pipe/i,
  /Call From .* failed on connection exception/,
]

/** Permanent errors win: a missing file or a denied permission does not heal by retrying. */
const PERMANENT_OUTPUT = [
  /No such file or directory/i,
  /FileNotFoundException/,
  /Permission denied/i,
  /AccessControlException/,
  /File exists/i,
  /Host key verification failed/i,
  /REMOTE HOST IDENTIFICATION HAS CHANGED/i,
]

export function isTransientOutput(stderr: string): boolean {
  if (PERMANENT_OUTPUT.some((re) => re.test(stderr))) return false
  return TRANSIENT_OUTPUT.some((re) => re.test(stderr))
}

export type InvalidArgError = (TypeError | RangeError) & { code: 'ERR_INVALID_ARG' }

/** A TypeError (wrong type) or RangeError (bad value) with code 'ERR_INVALID_ARG'. */
export function invalidArg(kind: 'type' | 'range', message: string): InvalidArgError {
  const err = (kind === 'type' ? new TypeError(message) : new RangeError(message)) as InvalidArgError
  Object.defineProperty(err, 'code', { value: 'ERR_INVALID_ARG', enumerable: true })
  return err
}
