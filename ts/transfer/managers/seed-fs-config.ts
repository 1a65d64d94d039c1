/**
 * The seed's filesystem configs (seed 002: fsspec-style dicts such as `{ protocol: 'hdfs', host,
 * port: 8020, user, target_path }`) as the storage layer's configs (storage/config.ts), which
 * already take the fsspec short keys camelCased. What differs: snake_case keys, and the port of an
 * 'hdfs' config, which in the seed is the NameNode's RPC port (fsspec/pyarrow speak RPC) while
 * logferry reaches HDFS over WebHDFS: it becomes the endpoint's NameNode (`namenode`, used by
 * distcp and hadoop fs) and WebHDFS is asked on the host's :9870 unless `url` names it.
 */
import type { FileSystemSpec, StorageConfig } from '../../storage/index.js'
import { parseStorageUrl } from '../../storage/url.js'

/** A seed-style config: a protocol and its keys, snake_case or camelCase. */
export type SeedFsConfig = { protocol: string } & Record<string, unknown>

const camel = (k: string): string => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())

/** A seed config as a storage config (checked later, by filesystem(), with its did-you-mean). */
export function storageConfigOf(seed: SeedFsConfig): StorageConfig {
  const c: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(seed)) if (v !== undefined) c[camel(k)] = v
  if (c.protocol === 'hdfs' && c.host !== undefined) {
    const host = String(c.host)
    c.protocol = 'webhdfs'
    c.url ??= `http://${host}:9870`
    c.namenode ??= `hdfs://${host}:${String(c.port ?? 8020)}`
    delete c.host
    delete c.port
  }
  return c as unknown as StorageConfig
}

/** `dir` below the root of a URL or config (the seed's target_path / target_table), as a config. */
export function below(spec: string | StorageConfig, dir: string): StorageConfig {
  const c: Record<string, unknown> = typeof spec === 'string' ? parseStorageUrl(spec) : { ...spec }
  const base = [c.root, c.prefix, c.targetPath].find((v): v is string => typeof v === 'string') ?? ''
  delete c.root
  delete c.prefix
  const joined = [base.replace(/\/+$/, ''), dir.replace(/^\/+|\/+$/g, '')].filter((p) => p !== '').join('/')
  c.targetPath = base.startsWith('/') && !joined.startsWith('/') ? `/${joined}` : joined
  return c as unknown as StorageConfig
}

/** A spec is a FileSystem instance (not a URL or a config), which cannot be re-rooted. */
export function isInstance(spec: FileSystemSpec): boolean {
  return typeof spec === 'object' && spec !== null && typeof (spec as { ls?: unknown }).ls === 'function'
}
