/** Classifies low-level failures as transient (worth a retry): network drops, 5xx, throttling. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH',
  'ENETDOWN', 'EAI_AGAIN', 'ESOCKETTIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED',
  'ERR_SSH_CONNECTION_LOST', 'TimeoutError', 'RequestTimeout', 'SlowDown', 'Throttling',
  'ThrottlingException', 'ServiceUnavailable', 'InternalError', 'RequestTimeTooSkewed',
  'ServerBusy', 'OperationTimedOut', 'REQUEST_SEND_ERROR',
])

const TRANSIENT_MESSAGES = /socket hang up|other side closed|connection (?:lost|reset|closed|refused)|premature close|timed? ?out|econnreset|econnrefused|epipe|no response|not connected|channel open failure|write after end|aborted/i

export function isTransientStatus(status: number | undefined): boolean {
  return status !== undefined && (status === 408 || status === 429 || status >= 500)
}

/** Walks an error and its `cause` chain looking for transient network signals. */
export function isTransient(err: unknown, depth = 0): boolean {
  if (err === null || err === undefined || depth > 6) return false
  if (typeof err !== 'object') return false
  const e = err as Record<string, unknown>
  for (const k of ['code', 'name', 'Code', 'errno']) {
    const v = e[k]
    if (typeof v === 'string' && TRANSIENT_CODES.has(v)) return true
  }
  const meta = e.$metadata as { httpStatusCode?: number } | undefined
  // A numeric `code` is an HTTP status (GCS ApiError, gaxios); Node's own codes are strings.
  const status = [e.statusCode, e.status, meta?.httpStatusCode, e.code].find((s): s is number => typeof s === 'number')
  if (isTransientStatus(status)) return true
  if (e.$retryable !== undefined && e.$retryable !== null) return true
  if (typeof e.message === 'string' && TRANSIENT_MESSAGES.test(e.message)) return true
  if (Array.isArray(e.errors) && e.errors.some((x) => isTransient(x, depth + 1))) return true
  return isTransient(e.cause, depth + 1)
}
