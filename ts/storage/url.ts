/**
 * The one storage URL parser. A location is a URL (`s3://bucket/dir/*.gz?endpoint=...`,
 * `gs://`, `az://`, `abfs://container@account.dfs.core.windows.net/`, `webhdfs://` / `hdfs://`,
 * `sftp://user@host:2222/dir`, `file:///dir`, `memory://name`) or a local path (absolute,
 * relative, or Windows-looking like `C:\logs`). It splits into the store it lives on (a storage
 * config without a path: bucket, container, server) and the path within that store, so
 * filesystem() roots a filesystem at the path, the external tools find the server, and the CLI
 * groups sources that share one store. Bad URLs throw a StorageError EINVAL naming the URL and
 * the problem.
 */
import { StorageError } from './errors.js'
import { normalizePath } from './path.js'

export interface StorageLocation {
  /** Canonical protocol: file, memory, s3, gs, az, webhdfs or sftp. */
  protocol: string
  /** Storage config of the store (protocol, bucket/container/server, query options), no path. */
  store: Record<string, unknown>
  /** The store as a URL (`s3://bucket?endpoint=...`, `sftp://user@host:22/`, `file:///`), for grouping and display. */
  storeUrl: string
  /**
   * Path within the store: a key path without a leading '/' on buckets and containers, an
   * absolute path on servers and local disks ('' / '/' for the store's root). Globs stay as written.
   */
  path: string
}

/** Schemes whose authority names a bucket or container (paths within are relative keys). */
const BUCKETS: Record<string, string> = { s3: 's3', s3a: 's3', gs: 'gs', gcs: 'gs', az: 'az', azure: 'az', abfs: 'az', abfss: 'az', memory: 'memory' }
/** Schemes whose authority names a server (paths within are absolute). */
const SERVERS: Record<string, string> = { hdfs: 'webhdfs', webhdfs: 'webhdfs', swebhdfs: 'webhdfs', sftp: 'sftp', ssh: 'sftp' }

/** NameNode HTTP ports (Hadoop 3 and 2): an hdfs:// URL on one of them means WebHDFS there. */
const HDFS_HTTP_PORTS = new Set([9870, 50070])

/** scheme://authority path ?query: the query starts at the first '?', '#' is part of the path. */
const URL_RE = /^([a-z][a-z0-9+.-]+):\/\/([^/?]*)([^?]*)(?:\?(.*))?$/is

/**
 * Whether a location is a URL (`scheme://...`) rather than a local path. A one-letter scheme
 * is a Windows drive (`C://logs`), not a URL.
 */
export function isStorageUrl(location: string): boolean {
  return /^[a-z][a-z0-9+.-]+:\/\//i.test(location)
}

function bad(raw: string, problem: string, cause?: unknown): StorageError {
  return new StorageError('EINVAL', { backend: 'filesystem', detail: `malformed URL '${raw}': ${problem}`, cause })
}

function decode(raw: string, part: string): string {
  try {
    return decodeURIComponent(part)
  } catch (err) {
    throw bad(raw, `bad percent-encoding in '${part}'`, err)
  }
}

interface Authority {
  user: string | undefined
  password: string | undefined
  host: string
  port: number | undefined
}

function authority(raw: string, text: string): Authority {
  const at = text.lastIndexOf('@')
  const info = at >= 0 ? text.slice(0, at) : undefined
  const hostPort = at >= 0 ? text.slice(at + 1) : text
  const m = /^(\[[0-9a-f:.]*\]|[^:[\]]*)(?::(\d*))?$/i.exec(hostPort)
  if (!m) throw bad(raw, `'${hostPort}' is not a host[:port]`)
  const portText = m[2]
  let port: number | undefined
  if (portText !== undefined && portText !== '') {
    port = Number(portText)
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad(raw, `port ${portText} is not in 1-65535`)
  }
  const colon = info?.indexOf(':') ?? -1
  const user = info === undefined ? undefined : decode(raw, colon >= 0 ? info.slice(0, colon) : info)
  const password = info !== undefined && colon >= 0 ? decode(raw, info.slice(colon + 1)) : undefined
  return { user: user || undefined, password: password || undefined, host: decode(raw, (m[1] as string).replace(/^\[|\]$/g, '')), port }
}

/** Query options: 'true'/'false' become booleans (numbers stay strings; the config schemas read them). */
function queryOptions(raw: string, query: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (!query) return out
  for (const [k, v] of new URLSearchParams(query)) {
    if (k === '') throw bad(raw, 'a query parameter has no name')
    out[k] = v === 'true' ? true : v === 'false' ? false : v
  }
  return out
}

/** The location of a local path (relative paths stay relative: the local filesystem resolves them). */
function local(path: string): StorageLocation {
  return { protocol: 'file', store: { protocol: 'file' }, storeUrl: 'file:///', path }
}

/** Splits a URL or local path into its store and the path within. */
export function parseLocation(raw: string): StorageLocation {
  if (typeof raw !== 'string' || raw.trim() === '') throw new StorageError('EINVAL', { backend: 'filesystem', detail: 'a location must be a non-empty URL or path' })
  if (!isStorageUrl(raw)) return local(raw)
  const m = URL_RE.exec(raw)
  if (!m) throw bad(raw, 'expected scheme://authority/path')
  const scheme = (m[1] as string).toLowerCase()
  const protocol = BUCKETS[scheme] ?? SERVERS[scheme] ?? (scheme === 'file' ? 'file' : undefined)
  // The exact message callers and docs show for a scheme logferry has no backend for.
  if (protocol === undefined) throw new StorageError('EINVAL', { backend: 'filesystem', detail: `unknown protocol '${scheme}'` })
  const auth = authority(raw, m[2] as string)
  const rawPath = decode(raw, m[3] as string)
  const query = queryOptions(raw, m[4])
  const q = m[4] ? `?${m[4]}` : ''

  if (protocol === 'file') {
    if (auth.host !== '' && auth.host.toLowerCase() !== 'localhost') throw bad(raw, `a file URL names no host (write file:///${(m[2] as string) + rawPath})`)
    if (Object.keys(query).length > 0) throw bad(raw, 'a file URL takes no query parameters')
    return local(rawPath === '' ? '/' : rawPath)
  }
  if (protocol in { s3: 1, gs: 1, az: 1, memory: 1 }) {
    const path = rawPath.replace(/^\/+/, '')
    const storeUrl = `${scheme}://${m[2] as string}${q}`
    if (protocol === 'memory') return { protocol, store: { protocol, ...(auth.host ? { name: auth.host } : {}), ...query }, storeUrl, path }
    if (auth.port !== undefined || auth.password !== undefined) throw bad(raw, `a ${scheme} URL names a ${protocol === 'az' ? 'container' : 'bucket'}, not a server`)
    if (scheme === 'abfs' || scheme === 'abfss') {
      // abfs://container@account.dfs.core.windows.net/path
      if (!auth.user || !auth.host) throw bad(raw, 'expected abfs://container@account.dfs.core.windows.net/path')
      return { protocol, store: { protocol, container: auth.user, accountName: auth.host.split('.')[0], ...query }, storeUrl, path }
    }
    if (auth.user !== undefined) throw bad(raw, `a ${scheme} URL takes no user`)
    if (auth.host === '') throw bad(raw, `expected ${scheme}://${protocol === 'az' ? 'container' : 'bucket'}/path`)
    return { protocol, store: { protocol, [protocol === 'az' ? 'container' : 'bucket']: auth.host, ...query }, storeUrl, path }
  }

  if (auth.host === '') throw bad(raw, `expected ${scheme}://host[:port]/path`)
  const path = `/${normalizePath(rawPath)}`.replace(/\/$/, '') || '/'
  const storeUrl = `${scheme}://${m[2] as string}/${q}`
  const host = auth.host.includes(':') ? `[${auth.host}]` : auth.host
  if (protocol === 'webhdfs') {
    // webhdfs:// and swebhdfs:// name the NameNode's HTTP address (default port 9870). hdfs:// names
    // its RPC address, as in hadoop (default port 8020), with WebHDFS on the same host's port 9870
    // unless ?url= says otherwise; on 9870 / 50070 (HTTP ports, never RPC ones) it is read as
    // WebHDFS there, as logferry always did. ?namenode= adds an RPC address to a webhdfs:// URL.
    // User from the URL or ?user.name= / ?user=.
    const { 'user.name': userName, user: userParam, ...rest } = query
    const rpc = scheme === 'hdfs' && !HDFS_HTTP_PORTS.has(auth.port ?? 0)
    const url = `${scheme === 'swebhdfs' ? 'https' : 'http'}://${host}:${rpc ? 9870 : (auth.port ?? 9870)}`
    const namenode = rpc ? { namenode: `hdfs://${host}:${auth.port ?? 8020}` } : {}
    const user = auth.user ?? userName ?? userParam
    return { protocol, store: { protocol, url, ...namenode, ...(user !== undefined ? { user } : {}), ...rest }, storeUrl, path }
  }
  const store: Record<string, unknown> = { protocol, host: auth.host, port: auth.port ?? 22 }
  if (auth.user !== undefined) store.username = auth.user
  if (auth.password !== undefined) store.password = auth.password
  return { protocol, store: { ...store, ...query }, storeUrl, path }
}

/** The storage config of a filesystem rooted at the location's path (what filesystem(url) builds). */
export function rootedConfig(loc: StorageLocation, raw: string): Record<string, unknown> {
  switch (loc.protocol) {
    case 'file':
      return { ...loc.store, root: loc.path }
    case 'memory':
      if (loc.path !== '') throw bad(raw, 'a memory URL names a filesystem, not a directory in it (memory://name)')
      return loc.store
    case 's3':
    case 'gs':
    case 'az':
      return { ...loc.store, prefix: normalizePath(loc.path) }
    default:
      return { ...loc.store, root: loc.path }
  }
}

/** The storage config filesystem(url) builds: the store, rooted at the URL's path. */
export function parseStorageUrl(raw: string): Record<string, unknown> {
  return rootedConfig(parseLocation(raw), raw)
}
