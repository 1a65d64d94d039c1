/**
 * Who may call the API: the bind-address rule (a non-loopback address needs a token) and the
 * Bearer check every route but /health goes through. The comparison runs in constant time over
 * SHA-256 digests, so neither the token's bytes nor its length leak through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { isIP } from 'node:net'
import { invalidConfig } from '../../config-error.js'
import { ApiError } from './errors.js'

export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '')
  if (h === 'localhost' || h === '::1') return true
  if (isIP(h) === 4) return h.startsWith('127.')
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h)
  return mapped !== null && (mapped[1] as string).startsWith('127.')
}

/** Throws a ConfigError (at start, before anything binds) for an open address without a token. */
export function checkBindPolicy(host: string, authToken: string | undefined): void {
  if (!isLoopback(host) && (authToken === undefined || authToken.length === 0))
    throw invalidConfig(
      'host',
      `binding ${host} (not a loopback address) needs an auth token: set LOGFERRY_TOKEN (authToken), or bind 127.0.0.1`,
    )
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest()

/** The check of one request's Authorization header against `token`. */
export function bearerChecker(token: string): (authorization: string | undefined) => void {
  const want = digest(token)
  return (authorization) => {
    const m = authorization === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization)
    if (m === null) throw new ApiError(401, 'ERR_UNAUTHORIZED', 'Authorization: Bearer <token> required')
    if (!timingSafeEqual(digest(m[1] as string), want)) throw new ApiError(401, 'ERR_UNAUTHORIZED', 'invalid token')
  }
}
