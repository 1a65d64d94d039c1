/** `filesystem()`: a FileSystem from a URL, a config object, or an existing instance. */
import { AzureBlobFileSystem, type AzureOptions } from './azure.js'
import { BaseFileSystem } from './base.js'
import type { StorageConfig } from './config.js'
import { StorageError } from './errors.js'
import { GcsFileSystem } from './gcs.js'
import { LocalFileSystem } from './local.js'
import { MemoryFileSystem } from './memory.js'
import { normalizePath } from './path.js'
import { S3FileSystem } from './s3.js'
import { SftpFileSystem } from './sftp.js'
import type { FileSystem } from './types.js'
import { WebHdfsFileSystem } from './webhdfs.js'

export type FileSystemSpec = string | StorageConfig | FileSystem

function isFileSystem(x: unknown): x is FileSystem {
  if (x instanceof BaseFileSystem) return true
  const f = x as Partial<FileSystem> | null
  return typeof f === 'object' && f !== null && typeof f.ls === 'function' && typeof f.createReadStream === 'function'
}

function invalid(detail: string): StorageError {
  return new StorageError('EINVAL', { backend: 'filesystem', detail })
}

/**
 * Builds a filesystem. URLs: `file:///dir`, `memory://name`, `s3://bucket/prefix`,
 * `gs://bucket/prefix`, `az://container/prefix` or `abfs://container@account.dfs.core.windows.net/prefix`,
 * `webhdfs://host:port/dir` or `hdfs://user@host:port/dir` (the NameNode HTTP port, default 9870),
 * `sftp://user[:password]@host[:port]/dir`. Query parameters and `overrides` add options
 * (e.g. `s3://b?endpoint=http://127.0.0.1:9000`). Credentials otherwise come from the
 * backends' usual environment variables.
 */
export function filesystem(spec: FileSystemSpec, overrides: Record<string, unknown> = {}): FileSystem {
  if (isFileSystem(spec)) return spec
  if (typeof spec === 'string') return fromConfig({ ...parseUrl(spec), ...overrides } as unknown as StorageConfig)
  return fromConfig({ ...spec, ...overrides } as StorageConfig)
}

function fromConfig(c: StorageConfig): FileSystem {
  switch (c.protocol) {
    case 'file':
    case 'local':
      return new LocalFileSystem({ root: c.root ?? c.targetPath })
    case 'memory':
      return new MemoryFileSystem(c)
    case 's3':
    case 's3a':
      return new S3FileSystem({
        ...c,
        prefix: c.prefix ?? c.targetPath,
        accessKeyId: c.accessKeyId ?? c.key,
        secretAccessKey: c.secretAccessKey ?? c.secret,
      })
    case 'gs':
    case 'gcs':
      return new GcsFileSystem({
        ...c,
        prefix: c.prefix ?? c.targetPath,
        projectId: c.projectId ?? c.project,
        keyFilename: c.keyFilename ?? c.token,
      })
    case 'az':
    case 'abfs':
    case 'abfss':
    case 'azure':
      return new AzureBlobFileSystem({ ...c, prefix: c.prefix ?? c.targetPath } as AzureOptions)
    case 'hdfs':
    case 'webhdfs':
    case 'swebhdfs': {
      const scheme = c.protocol === 'swebhdfs' ? 'https' : 'http'
      const url = c.url ?? (c.host ? `${scheme}://${c.host}:${c.port ?? 9870}` : undefined)
      if (!url) throw invalid('webhdfs needs url or host')
      return new WebHdfsFileSystem({ url, root: c.root ?? c.targetPath, user: c.user, delegation: c.delegation })
    }
    case 'sftp':
    case 'ssh':
      return new SftpFileSystem({ ...c, root: c.root ?? c.targetPath })
    default:
      throw invalid(`unknown protocol '${(c as { protocol?: string }).protocol ?? ''}'`)
  }
}

function parseUrl(raw: string): Record<string, unknown> {
  if (raw.startsWith('/') || !/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return { protocol: 'file', root: raw }
  let u: URL
  try {
    u = new URL(raw)
  } catch (err) {
    throw new StorageError('EINVAL', { backend: 'filesystem', cause: err, detail: 'malformed URL' })
  }
  const protocol = u.protocol.slice(0, -1).toLowerCase()
  const path = normalizePath(decodeURIComponent(u.pathname))
  const query: Record<string, unknown> = {}
  for (const [k, v] of u.searchParams) query[k] = v === 'true' ? true : v === 'false' ? false : v
  const host = decodeURIComponent(u.hostname)
  const user = u.username ? decodeURIComponent(u.username) : undefined
  const password = u.password ? decodeURIComponent(u.password) : undefined
  switch (protocol) {
    case 'file':
      return { protocol, root: `/${path}`, ...query }
    case 'memory':
      return { protocol, name: host || undefined, ...query }
    case 's3':
    case 's3a':
      return { protocol: 's3', bucket: host, prefix: path, ...query }
    case 'gs':
    case 'gcs':
      return { protocol: 'gs', bucket: host, prefix: path, ...query }
    case 'az':
    case 'azure':
      return { protocol: 'az', container: host, prefix: path, ...query }
    case 'abfs':
    case 'abfss': {
      // abfs://container@account.dfs.core.windows.net/path
      const account = host.split('.')[0]
      return { protocol: 'az', container: user ?? '', accountName: account, prefix: path, ...query }
    }
    case 'hdfs':
    case 'webhdfs':
    case 'swebhdfs': {
      const scheme = protocol === 'swebhdfs' ? 'https' : 'http'
      const port = u.port || '9870'
      return { protocol: 'webhdfs', url: `${scheme}://${u.hostname}:${port}`, root: `/${path}`, user: user ?? query['user.name'], ...query }
    }
    case 'sftp':
    case 'ssh':
      return {
        protocol: 'sftp',
        host,
        port: u.port ? Number(u.port) : 22,
        username: user,
        password,
        root: `/${path}`,
        ...query,
      }
    default:
      throw invalid(`unknown protocol '${protocol}'`)
  }
}
