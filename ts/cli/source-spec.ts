/**
 * Splits a command-line location (`/var/log/*.log`, `s3://bucket/dir/*.gz?endpoint=...`,
 * `webhdfs://nn:9870/logs`) into the filesystem it lives on and the path (or glob) on it, so
 * several sources on one filesystem share one connection.
 */

export interface Location {
  /** URL of the filesystem root (bucket, container, host), with the original query. */
  filesystem: string
  /** Path or glob on that filesystem. */
  path: string
}

/** Schemes whose first URL component (host) names a bucket or container, not a server. */
const BUCKET_SCHEMES = new Set(['s3', 's3a', 'gs', 'gcs', 'az', 'azure', 'abfs', 'abfss', 'memory'])

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i

/** Whether a location is a URL (`scheme://...`) rather than a local path. */
export function isUrl(location: string): boolean {
  return SCHEME.test(location)
}

export function splitLocation(raw: string): Location {
  const m = SCHEME.exec(raw)
  if (!m) return { filesystem: 'file:///', path: raw }
  const scheme = (m[1] as string).toLowerCase()
  const rest = raw.slice(m[0].length)
  const q = rest.indexOf('?')
  const body = q >= 0 ? rest.slice(0, q) : rest
  const query = q >= 0 ? rest.slice(q) : ''
  const slash = body.indexOf('/')
  const authority = slash >= 0 ? body.slice(0, slash) : body
  const path = slash >= 0 ? body.slice(slash) : '/'
  if (scheme === 'file') return { filesystem: 'file:///', path: decodeURIComponent(path) }
  const filesystem = `${scheme}://${authority}${BUCKET_SCHEMES.has(scheme) ? '' : '/'}${query}`
  const inner = decodeURIComponent(path)
  return { filesystem, path: BUCKET_SCHEMES.has(scheme) ? inner.replace(/^\/+/, '') : inner }
}
