/**
 * One error type for every backend. `code` is the portable part callers branch on; `cause`
 * keeps the backend's own error for debugging. Messages are built only from the code, the
 * backend name, the path and a redacted summary of the cause, so credentials never leak.
 */
export type StorageErrorCode =
  | 'ENOENT'
  | 'EEXIST'
  | 'EACCES'
  | 'ENOTDIR'
  | 'EISDIR'
  | 'ENOTEMPTY'
  | 'EINVAL'
  | 'ENOTSUP'
  | 'ETRANSIENT'
  | 'EIO'
  /** The store refused bytes, or stated a checksum, that differ from the checksum sent with them. */
  | 'ECHECKSUM'

export interface StorageErrorOptions {
  backend: string
  path?: string
  cause?: unknown
  detail?: string
}

export class StorageError extends Error {
  override readonly name = 'StorageError'
  readonly code: StorageErrorCode
  readonly backend: string
  readonly path: string | undefined
  /** True for ETRANSIENT: the same call may succeed if retried. */
  readonly retryable: boolean

  constructor(code: StorageErrorCode, opts: StorageErrorOptions) {
    const where = opts.path !== undefined ? ` '${opts.path}'` : ''
    const detail = opts.detail ?? summarizeCause(opts.cause)
    super(`${code}: ${opts.backend}${where}${detail ? ` (${redact(detail)})` : ''}`, { cause: opts.cause })
    this.code = code
    this.backend = opts.backend
    this.path = opts.path
    this.retryable = code === 'ETRANSIENT'
  }
}

export function isStorageError(err: unknown, code?: StorageErrorCode): err is StorageError {
  return err instanceof StorageError && (code === undefined || err.code === code)
}

const SECRET_PATTERNS: RegExp[] = [
  /([?&](?:sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|delegation|token|access_token|key|password|se|sv|sp|skoid|sktid)=)[^&\s'"]*/gi,
  /((?:AccountKey|SharedAccessSignature|password|secret|SecretAccessKey|passphrase)\s*[=:]\s*)[^;\s,'"]+/gi,
  /(Bearer\s+)[A-Za-z0-9._~+/=-]+/g,
  /(\/\/[^/:@\s]+:)[^@/\s]+@/g,
]

/** Removes credential-looking values (query tokens, keys, passwords) from a text. */
export function redact(text: string): string {
  let out = text
  for (const re of SECRET_PATTERNS) out = out.replace(re, '$1***')
  return out.length > 300 ? `${out.slice(0, 300)}...` : out
}

function summarizeCause(cause: unknown, depth = 0): string {
  if (cause === undefined || cause === null) return ''
  if (typeof cause !== 'object') return String(cause)
  const c = cause as Record<string, unknown>
  const parts: string[] = []
  for (const k of ['code', 'name', 'statusCode', 'status', 'Code'] as const) {
    const v = c[k]
    if ((typeof v === 'string' || typeof v === 'number') && !parts.includes(String(v))) parts.push(String(v))
  }
  if (typeof c.message === 'string' && c.message) parts.push(c.message.split('\n')[0] ?? '')
  const inner = depth < 3 ? summarizeCause(c.cause, depth + 1) : ''
  return inner ? `${parts.join(' ')}: ${inner}` : parts.join(' ')
}
