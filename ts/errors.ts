// Errors of the logger API. Every error has a stable `code`.

export type LogferryErrorCode =
  | 'ERR_INVALID_CONFIG'
  | 'ERR_INVALID_EVENT_NAME'
  | 'ERR_INVALID_ARG'
  | 'ERR_LOGGER_CLOSED'
  | 'ERR_RECORD_TOO_LARGE'
  | 'ERR_IO'
  | 'ERR_UNFLUSHED'
  | 'ERR_CORRUPT'
  | 'ERR_BUFFER_BUDGET'
  | 'ERR_PANIC'
  | 'ERR_UPLOADER_CLOSED'

export class LogferryError extends Error {
  readonly code: LogferryErrorCode
  constructor(code: LogferryErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'LogferryError'
    this.code = code
  }
}

/** A config error: RangeError for values out of range, TypeError for wrong types. */
export function configError(kind: 'range' | 'type', message: string): RangeError | TypeError {
  const e = kind === 'range' ? new RangeError(message) : new TypeError(message)
  Object.defineProperty(e, 'code', { value: 'ERR_INVALID_CONFIG', enumerable: true })
  return e
}

/** Turns an error thrown by the binding ("ERR_X: message") into a LogferryError. */
export function fromNative(e: unknown): Error {
  if (e instanceof Error) {
    const m = /^(ERR_[A-Z_]+): ([\s\S]*)$/.exec(e.message)
    if (m) {
      const code = m[1] as LogferryErrorCode
      if (code === 'ERR_INVALID_CONFIG') {
        return configError('range', m[2] ?? e.message)
      }
      return new LogferryError(code, m[2] ?? e.message, { cause: e })
    }
    // napi-rs turns a panic caught at a synchronous entry point (`#[napi(catch_unwind)]`) into
    // a GenericFailure carrying the panic's message; every error the binding makes itself has
    // an ERR_ prefix (crates/node/src/error.rs), so this one is a panic.
    if ((e as { code?: unknown }).code === 'GenericFailure') {
      return new LogferryError('ERR_PANIC', `engine panicked: ${e.message}`, { cause: e })
    }
    return e
  }
  return new Error(String(e))
}

/** Runs a binding call, converting its errors. */
export function call<T>(f: () => T): T {
  try {
    return f()
  } catch (e) {
    throw fromNative(e)
  }
}

export async function callAsync<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f()
  } catch (e) {
    throw fromNative(e)
  }
}
