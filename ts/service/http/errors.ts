/**
 * Errors of the HTTP API: one class carrying the HTTP status and a stable `code`, and the one
 * mapping of anything thrown in a request (our errors, Fastify's validation and parser errors,
 * file system errors) to `{ error: { code, message } }`. Nothing a request does reaches the
 * process as an uncaught error.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'

export type ApiErrorCode =
  | 'ERR_INVALID_PARAM'
  | 'ERR_UNKNOWN_PARAM'
  | 'ERR_MISSING_PARAM'
  | 'ERR_INVALID_PATH'
  | 'ERR_PATH_TRAVERSAL'
  | 'ERR_PATH_OUTSIDE_ROOT'
  | 'ERR_NOT_A_FILE'
  | 'ERR_NOT_FOUND'
  | 'ERR_UNAUTHORIZED'
  | 'ERR_FORBIDDEN'
  | 'ERR_CORRUPT_FILE'
  | 'ERR_TOO_LARGE'
  | 'ERR_TOO_MANY_STREAMS'
  | 'ERR_NOT_ACCEPTABLE'
  | 'ERR_BAD_REQUEST'
  | 'ERR_INTERNAL'

export class ApiError extends Error {
  readonly statusCode: number
  readonly code: ApiErrorCode
  /** The query parameter at fault, when there is one. */
  readonly param: string | undefined

  constructor(statusCode: number, code: ApiErrorCode, message: string, param?: string) {
    super(message)
    this.name = 'ApiError'
    this.statusCode = statusCode
    this.code = code
    this.param = param
  }
}

/** A 400 about query parameter `param`; the message starts with its name. */
export function badParam(param: string, problem: string): ApiError {
  return new ApiError(400, 'ERR_INVALID_PARAM', `${param}: ${problem}`, param)
}

export interface ErrorBody {
  error: { code: string; message: string; param?: string }
}

export function errorBody(code: string, message: string, param?: string): ErrorBody {
  return { error: param === undefined ? { code, message } : { code, message, param } }
}

/** Fastify's validation error -> 400 naming the parameter (`limit: must be <= 1000`). */
function fromValidation(err: FastifyError): ApiError {
  const v = err.validation?.[0]
  if (!v) return new ApiError(400, 'ERR_INVALID_PARAM', err.message)
  const params = v.params as Record<string, unknown>
  if (v.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    const p = params.additionalProperty
    return new ApiError(400, 'ERR_UNKNOWN_PARAM', `${p}: unknown parameter`, p)
  }
  if (v.keyword === 'required' && typeof params.missingProperty === 'string') {
    const p = params.missingProperty
    return new ApiError(400, 'ERR_MISSING_PARAM', `${p}: required`, p)
  }
  const p = v.instancePath.replace(/^\//, '').split('/')[0] || err.validationContext || 'request'
  return new ApiError(400, 'ERR_INVALID_PARAM', `${p}: ${v.message ?? 'invalid'}`, p)
}

/** Any error -> ApiError (5xx for what is not the client's fault). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err
  const e = err as Partial<FastifyError> & { code?: string }
  if (e && Array.isArray(e.validation)) return fromValidation(e as FastifyError)
  if (e?.code === 'ENOENT' || e?.code === 'ENOTDIR') return new ApiError(404, 'ERR_NOT_FOUND', 'no such file')
  if (e?.code === 'ELOOP') return new ApiError(403, 'ERR_PATH_OUTSIDE_ROOT', 'path is a symbolic link')
  if (e?.code === 'EISDIR') return new ApiError(400, 'ERR_NOT_A_FILE', 'path is a directory')
  if (e?.code === 'EACCES' || e?.code === 'EPERM') return new ApiError(403, 'ERR_FORBIDDEN', 'file not readable')
  if (e?.code === 'ERR_TAIL_TOO_LARGE') return new ApiError(413, 'ERR_TOO_LARGE', e.message ?? 'too large', 'tail')
  if (e?.code === 'Z_DATA_ERROR' || e?.code === 'Z_BUF_ERROR' || e?.code === 'ERR_ZSTD')
    return new ApiError(422, 'ERR_CORRUPT_FILE', `compressed file is corrupt: ${e.message ?? ''}`)
  // Fastify's own client errors (bad JSON body, body too large, unsupported media type ...).
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)
    return new ApiError(e.statusCode, 'ERR_BAD_REQUEST', e.message ?? 'bad request')
  return new ApiError(500, 'ERR_INTERNAL', 'internal error')
}

/** The handler of every error a request raises; 5xx are logged with their cause (never sent). */
export function errorHandler(log: { error(msg: string, fields?: Record<string, unknown>): void }) {
  return (err: unknown, req: FastifyRequest, reply: FastifyReply): void => {
  const api = toApiError(err)
  if (api.statusCode >= 500)
    log.error('request failed', { method: req.method, url: req.url, error: err instanceof Error ? err.message : String(err) })
  if (api.statusCode === 401) reply.header('www-authenticate', 'Bearer')
  // A stream that failed after its headers went out can only be cut short.
  if (reply.sent || reply.raw.headersSent) {
    reply.raw.destroy()
    return
  }
  reply.removeHeader('content-disposition')
  void reply.code(api.statusCode).type('application/json; charset=utf-8').send(errorBody(api.code, api.message, api.param))
  }
}

export function notFoundHandler(req: FastifyRequest, reply: FastifyReply): void {
  void reply.code(404).send(errorBody('ERR_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`))
}
