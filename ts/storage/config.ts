/**
 * Plain config objects accepted by `filesystem()`, one per protocol. Besides each backend's own
 * options they take the short keys of the Python fsspec-style dicts users already write
 * (camelCased): `targetPath`, `key`/`secret`, `project`/`token`, `user`, `host`/`port`.
 */
import { boolean, custom, integer, object, oneOf, optional, required, string, type Field, type Reporter, type Schema } from '../options/schema.js'
import { describeIssue, validateOptions } from '../options/validate-options.js'
import type { AzureOptions } from './azure.js'
import { StorageError } from './errors.js'
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

const text = optional(string())
const name = (what: string): Field<string> => required(string({ nonEmpty: true }), `is required (the ${what})`)
const count = (min: number): Field<number | undefined> => optional(integer({ min, fromString: true }))
const flag = optional(boolean({ fromString: true }))
const instance = (what: string): Field<unknown> => optional(custom<unknown>(what, (v) => typeof v === 'object' && v !== null))
const common = { targetPath: text }

/** The keys each protocol's config takes (the `satisfies` keep them in step with the types). */
const CONFIGS: Record<string, Schema<unknown>> = {
  file: object({ protocol: required(oneOf(['file', 'local'])), ...common, root: text } satisfies Record<keyof LocalConfig, Field<unknown>>),
  memory: object({ protocol: required(oneOf(['memory'])), ...common, name: text, readOnly: flag } satisfies Record<keyof MemoryConfig, Field<unknown>>),
  s3: object({
    protocol: required(oneOf(['s3', 's3a'])),
    ...common,
    bucket: name('bucket'),
    prefix: text,
    region: text,
    endpoint: text,
    forcePathStyle: flag,
    accessKeyId: text,
    secretAccessKey: text,
    sessionToken: text,
    key: text,
    secret: text,
    partSize: count(1),
    queueSize: count(1),
    maxAttempts: count(1),
    client: instance('an S3Client'),
  } satisfies Record<keyof S3Config, Field<unknown>>),
  gs: object({
    protocol: required(oneOf(['gs', 'gcs'])),
    ...common,
    bucket: name('bucket'),
    prefix: text,
    projectId: text,
    project: text,
    apiEndpoint: text,
    keyFilename: text,
    token: text,
    credentials: instance('a service account key object'),
    resumable: flag,
    chunkSize: count(1),
    maxRetries: count(0),
    compositePartSize: count(1),
    compositeParallelism: count(1),
    storage: instance('a Storage client'),
  } satisfies Record<keyof GcsConfig, Field<unknown>>),
  az: object({
    protocol: required(oneOf(['az', 'abfs', 'abfss', 'azure'])),
    ...common,
    container: name('container'),
    prefix: text,
    connectionString: text,
    accountName: text,
    accountKey: text,
    sasToken: text,
    endpoint: text,
    blockSize: count(1),
    blockParallelism: count(1),
    maxTries: count(1),
    service: instance('a BlobServiceClient'),
  } satisfies Record<keyof AzureConfig, Field<unknown>>),
  webhdfs: object({
    protocol: required(oneOf(['hdfs', 'webhdfs', 'swebhdfs'])),
    ...common,
    url: text,
    host: text,
    port: count(1),
    root: text,
    user: text,
    delegation: text,
    namenode: optional(string({ nonEmpty: true, pattern: /^hdfs:\/\/[^/?#]+\/?$/, hint: "a NameNode RPC address like 'hdfs://host:8020'" })),
  } satisfies Record<keyof WebHdfsConfig, Field<unknown>>),
  sftp: object({
    protocol: required(oneOf(['sftp', 'ssh'])),
    ...common,
    host: name('server'),
    port: count(1),
    username: text,
    password: text,
    privateKey: optional(custom<string | Buffer>('a key (string or Buffer)', (v) => typeof v === 'string' || Buffer.isBuffer(v))),
    privateKeyPath: text,
    passphrase: text,
    root: text,
    hostFingerprint: text,
    readyTimeoutMs: count(1),
    remoteChecksum: flag,
    connections: count(1),
  } satisfies Record<keyof SftpConfig, Field<unknown>>),
}
const ALIASES: Record<string, string> = { local: 'file', s3a: 's3', gcs: 'gs', abfs: 'az', abfss: 'az', azure: 'az', hdfs: 'webhdfs', swebhdfs: 'webhdfs', ssh: 'sftp' }

/** Issues become StorageError EINVAL, as every other filesystem() failure. */
const report: Reporter = (issue) => new StorageError('EINVAL', { backend: 'filesystem', detail: describeIssue(issue, 'option') })

/**
 * Checks a config object (from code, or from a URL and its query) against its protocol's
 * keys: unknown keys are rejected with a did-you-mean, values of the wrong type named. Values
 * are returned as given (numbers from a URL query converted), undefined ones left out.
 */
export function validateStorageConfig(config: Record<string, unknown>): StorageConfig {
  const protocol = typeof config.protocol === 'string' ? config.protocol : ''
  const schema = CONFIGS[ALIASES[protocol] ?? protocol]
  if (!schema) throw new StorageError('EINVAL', { backend: 'filesystem', detail: `unknown protocol '${protocol}'` })
  const checked = validateOptions(schema, config, report) as Record<string, unknown>
  for (const k of Object.keys(checked)) if (checked[k] === undefined) delete checked[k]
  return checked as unknown as StorageConfig
}
