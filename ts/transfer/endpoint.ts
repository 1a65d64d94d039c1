/**
 * Where a filesystem lives, as the external tools address it: a local directory, an HDFS
 * directory behind a NameNode, or an SSH host. Derived from the URL or config the caller gave
 * (a FileSystem instance only reveals its address when it is a local one).
 */
import type { FileSystem, FileSystemSpec } from '../storage/index.js'
import { normalizePath } from '../storage/path.js'
import { parseStorageUrl } from '../storage/url.js'

export type Endpoint =
  | { kind: 'local'; root: string }
  | { kind: 'hdfs'; host: string; httpPort: number; https: boolean; root: string; user?: string }
  | { kind: 'sftp'; host: string; port: number; username?: string; privateKeyPath?: string; root: string }
  | { kind: 'other'; protocol: string; why: string }

const absRoot = (p: string | undefined): string => `/${normalizePath(p ?? '/')}`

function fromConfig(c: Record<string, unknown>): Endpoint | undefined {
  const str = (k: string): string | undefined => (typeof c[k] === 'string' ? (c[k] as string) : undefined)
  const root = str('root') ?? str('targetPath')
  switch (c.protocol) {
    case 'file':
    case 'local':
      return { kind: 'local', root: absRoot(root) }
    case 'hdfs':
    case 'webhdfs':
    case 'swebhdfs': {
      const url = str('url')
      let host = str('host')
      let httpPort = typeof c.port === 'number' ? c.port : 9870
      let https = c.protocol === 'swebhdfs'
      if (url) {
        const u = new URL(url)
        host = u.hostname
        https = u.protocol === 'https:'
        httpPort = Number(u.port || (https ? 9871 : 9870))
      }
      if (!host) return undefined
      return { kind: 'hdfs', host, httpPort, https, root: absRoot(root), user: str('user') }
    }
    case 'sftp':
    case 'ssh': {
      const host = str('host')
      if (!host) return undefined
      return {
        kind: 'sftp',
        host,
        port: typeof c.port === 'number' ? c.port : 22,
        username: str('username'),
        privateKeyPath: str('privateKeyPath'),
        root: absRoot(root),
      }
    }
    default:
      return undefined
  }
}

export function endpointOf(spec: FileSystemSpec | undefined, fs: FileSystem): Endpoint {
  if (fs.protocol === 'file') {
    const root = (fs as FileSystem & { root?: unknown }).root
    if (typeof root === 'string') return { kind: 'local', root: absRoot(root) }
  }
  const found = typeof spec === 'string' ? fromConfig(parseStorageUrl(spec)) : spec !== undefined && spec !== fs ? fromConfig(spec as unknown as Record<string, unknown>) : undefined
  if (found) return found
  const why =
    spec === fs && (fs.protocol === 'webhdfs' || fs.protocol === 'sftp')
      ? `a ${fs.protocol} FileSystem instance does not tell external tools where it is: pass a URL or config object`
      : `the ${fs.protocol} backend is not reachable by hadoop or scp`
  return { kind: 'other', protocol: fs.protocol, why }
}

/** `root` + relative path as an absolute path. */
export function absPath(root: string, rel: string): string {
  const n = normalizePath(rel)
  return root === '/' ? `/${n}` : n === '' ? root : `${root}/${n}`
}

/** The URI hadoop gets for `rel` on a local or HDFS endpoint (hdfs:// on `namenode` when given). */
export function hadoopUri(ep: Endpoint, rel: string, namenode?: string): string {
  if (ep.kind === 'local') return `file://${absPath(ep.root, rel)}`
  if (ep.kind === 'hdfs') {
    const path = absPath(ep.root, rel)
    return namenode ? `${namenode}${path}` : `${ep.https ? 'swebhdfs' : 'webhdfs'}://${ep.host}:${ep.httpPort}${path}`
  }
  throw new Error(`hadoop cannot address a ${ep.kind === 'sftp' ? 'sftp' : ep.protocol} filesystem`)
}
