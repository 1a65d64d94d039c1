/** `filesystem()`: a FileSystem from a URL, a config object, or an existing instance. */
import { AzureBlobFileSystem, type AzureOptions } from './azure.js'
import { BaseFileSystem } from './base.js'
import { validateStorageConfig, type StorageConfig } from './config.js'
import { StorageError } from './errors.js'
import { GcsFileSystem } from './gcs.js'
import { LocalFileSystem } from './local.js'
import { MemoryFileSystem } from './memory.js'
import { S3FileSystem } from './s3.js'
import { SftpFileSystem } from './sftp.js'
import type { FileSystem } from './types.js'
import { parseStorageUrl } from './url.js'
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
 * `webhdfs://host:port/dir` (the NameNode HTTP port, default 9870) or `hdfs://user@host:port/dir`
 * (the NameNode RPC port, default 8020, with WebHDFS on the same host's port 9870 unless `?url=` says),
 * `sftp://user[:password]@host[:port]/dir` (parsed by url.ts). Query parameters and `overrides`
 * add options (e.g. `s3://b?endpoint=http://127.0.0.1:9000`); every config is checked against its
 * protocol's keys (config.ts), so a mistyped option is an EINVAL naming it, not silently unused.
 * Credentials otherwise come from the backends' usual environment variables.
 */
export function filesystem(spec: FileSystemSpec, overrides: Record<string, unknown> = {}): FileSystem {
  if (isFileSystem(spec)) return spec
  if (typeof spec === 'string') return fromConfig(validateStorageConfig({ ...parseStorageUrl(spec), ...overrides }))
  if (typeof spec !== 'object' || spec === null) throw invalid('expected a URL, a storage config object or a FileSystem')
  return fromConfig(validateStorageConfig({ ...spec, ...overrides }))
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
      return new WebHdfsFileSystem({ url, root: c.root ?? c.targetPath, user: c.user, delegation: c.delegation, namenode: c.namenode })
    }
    case 'sftp':
    case 'ssh':
      return new SftpFileSystem({ ...c, root: c.root ?? c.targetPath })
    default:
      throw invalid(`unknown protocol '${(c as { protocol?: string }).protocol ?? ''}'`)
  }
}
