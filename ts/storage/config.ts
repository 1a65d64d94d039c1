/**
 * Plain config objects accepted by `filesystem()`, one per protocol. Besides each backend's own
 * options they take the short keys of the Python fsspec-style dicts users already write
 * (camelCased): `targetPath`, `key`/`secret`, `project`/`token`, `user`, `host`/`port`.
 */
import type { AzureOptions } from './azure.js'
import type { GcsOptions } from './gcs.js'
import type { LocalOptions } from './local.js'
import type { MemoryOptions } from './memory.js'
import type { S3Options } from './s3.js'
import type { SftpOptions } from './sftp.js'
import type { WebHdfsOptions } from './webhdfs.js'

interface Common {
  /** Directory / key prefix the filesystem is rooted at (alias of root / prefix). */
  targetPath?: string
}

export type LocalConfig = Common & LocalOptions & { protocol: 'file' | 'local' }
export type MemoryConfig = Common & MemoryOptions & { protocol: 'memory' }
export type S3Config = Common & S3Options & { protocol: 's3' | 's3a'; key?: string; secret?: string }
export type GcsConfig = Common &
  Omit<GcsOptions, 'bucket'> & { protocol: 'gs' | 'gcs'; bucket: string; project?: string; token?: string }
export type AzureConfig = Common & AzureOptions & { protocol: 'az' | 'abfs' | 'abfss' | 'azure' }
export type WebHdfsConfig = Common &
  Partial<WebHdfsOptions> & { protocol: 'hdfs' | 'webhdfs' | 'swebhdfs'; host?: string; port?: number }
export type SftpConfig = Common & SftpOptions & { protocol: 'sftp' | 'ssh' }

export type StorageConfig = LocalConfig | MemoryConfig | S3Config | GcsConfig | AzureConfig | WebHdfsConfig | SftpConfig
