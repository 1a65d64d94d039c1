/** Validation of transferFiles options into a fully-defaulted, checked form. */
import { filesystem, type FileSystem, type FileSystemSpec } from '../storage/index.js'
import { parseBandwidth } from './bandwidth.js'
import { endpointOf, type Endpoint } from './endpoint.js'
import { invalidArg } from './errors.js'
import type {
  Compression,
  HadoopOptions,
  OverwritePolicy,
  ScpOptions,
  SourceFiles,
  TransferMethod,
  TransferOptions,
  TransferProgress,
} from './types.js'

export interface ResolvedOptions {
  patterns: string[]
  source: FileSystem
  target: FileSystem
  /** Filesystems transferFiles built itself (from URLs or configs) and must close. */
  owned: FileSystem[]
  /** Where source and target live for the external tools. */
  sourceEndpoint: Endpoint
  targetEndpoint: Endpoint
  method: TransferMethod
  /** Total bytes per second, or undefined for no limit. */
  bandwidth: number | undefined
  compress: Compression | undefined
  hadoop: HadoopOptions
  scp: ScpOptions
  concurrency: number
  preserveStructure: boolean
  overwrite: OverwritePolicy
  verify: boolean
  retries: number
  retryDelay: number
  deleteSource: boolean
  dryRun: boolean
  signal: AbortSignal | undefined
  onProgress: ((p: TransferProgress) => void) | undefined
}

const METHODS = ['storage', 'distcp', 'hdfs-put', 'hdfs-cp', 'scp', 'auto'] as const
const OVERWRITE = ['ifChanged', 'always', 'never'] as const
const COMPRESS = ['gzip', 'zstd'] as const
const HOST_KEY_CHECKING = ['yes', 'no', 'accept-new'] as const

function isSourceFiles(x: unknown): x is SourceFiles {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && 'paths' in x && 'source' in x
}

function toPatterns(v: unknown, name: string): string[] {
  const list = typeof v === 'string' ? [v] : v
  if (!Array.isArray(list)) throw invalidArg('type', `${name} must be a string or an array of strings`)
  if (list.length === 0) throw invalidArg('range', `${name} must not be empty`)
  for (const p of list) {
    if (typeof p !== 'string' || p.trim() === '') throw invalidArg('type', `${name} must contain non-empty strings`)
  }
  return list as string[]
}

function toFs(spec: unknown, name: string): FileSystem {
  if (spec === undefined || spec === null || (typeof spec !== 'string' && typeof spec !== 'object')) {
    throw invalidArg('type', `${name} must be a URL, a storage config object or a FileSystem`)
  }
  try {
    return filesystem(spec as FileSystemSpec)
  } catch (err) {
    const e = invalidArg('type', `${name} is not a valid filesystem: ${err instanceof Error ? err.message : String(err)}`)
    Object.defineProperty(e, 'cause', { value: err })
    throw e
  }
}

function bool(v: unknown, name: string, dflt: boolean): boolean {
  if (v === undefined) return dflt
  if (typeof v !== 'boolean') throw invalidArg('type', `${name} must be a boolean`)
  return v
}

function int(v: unknown, name: string, dflt: number, min: number): number {
  if (v === undefined) return dflt
  if (typeof v !== 'number') throw invalidArg('type', `${name} must be a number`)
  if (!Number.isInteger(v) || v < min) throw invalidArg('range', `${name} must be an integer >= ${min}, got ${v}`)
  return v
}

function optionalString(v: unknown, name: string): string | undefined {
  if (v === undefined) return undefined
  if (typeof v !== 'string' || v === '') throw invalidArg('type', `${name} must be a non-empty string`)
  return v
}

function optionalTimeout(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw invalidArg('range', `${name} must be a positive number of ms`)
  return v
}

function stringRecord(v: unknown, name: string): Record<string, string> | undefined {
  if (v === undefined) return undefined
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw invalidArg('type', `${name} must be an object of strings`)
  }
  return v as Record<string, string>
}

function objectOption(v: unknown, name: string): Record<string, unknown> {
  if (v === undefined) return {}
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidArg('type', `${name} must be an object`)
  return v as Record<string, unknown>
}

function hadoopOptions(v: unknown): HadoopOptions {
  const h = objectOption(v, 'hadoop')
  const namenode = optionalString(h.namenode, 'hadoop.namenode')
  if (namenode !== undefined && !/^hdfs:\/\/[^/]+\/?$/.test(namenode)) {
    throw invalidArg('range', `hadoop.namenode must look like 'hdfs://host:port', got '${namenode}'`)
  }
  return {
    bin: optionalString(h.bin, 'hadoop.bin'),
    env: stringRecord(h.env, 'hadoop.env'),
    conf: optionalString(h.conf, 'hadoop.conf'),
    namenode: namenode?.replace(/\/$/, ''),
    timeoutMs: optionalTimeout(h.timeoutMs, 'hadoop.timeoutMs'),
  }
}

function scpOptions(v: unknown): ScpOptions {
  const s = objectOption(v, 'scp')
  const strict = s.strictHostKeyChecking
  if (strict !== undefined && !(HOST_KEY_CHECKING as readonly unknown[]).includes(strict)) {
    throw invalidArg('range', `scp.strictHostKeyChecking must be one of ${HOST_KEY_CHECKING.join(', ')}, got '${String(strict)}'`)
  }
  return {
    bin: optionalString(s.bin, 'scp.bin'),
    strictHostKeyChecking: strict as ScpOptions['strictHostKeyChecking'],
    knownHostsFile: optionalString(s.knownHostsFile, 'scp.knownHostsFile'),
    timeoutMs: optionalTimeout(s.timeoutMs, 'scp.timeoutMs'),
  }
}

export function resolveOptions(options: TransferOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw invalidArg('type', 'transferFiles needs an options object')
  const o = options as TransferOptions & Record<string, unknown>

  const method = o.method ?? 'auto'
  if (!(METHODS as readonly unknown[]).includes(method)) {
    throw invalidArg('range', `method must be one of ${METHODS.join(', ')}, got '${String(method)}'`)
  }
  const compress = o.compress
  if (compress !== undefined && !(COMPRESS as readonly unknown[]).includes(compress)) {
    throw invalidArg('range', `compress must be one of ${COMPRESS.join(', ')}, got '${String(compress)}'`)
  }
  if (compress !== undefined && method !== 'storage' && method !== 'auto') {
    throw invalidArg('range', `compress is only done by the 'storage' method (or 'auto'), not by '${method}'`)
  }
  const bandwidth = parseBandwidth(o.bandwidthLimit)
  const hadoop = hadoopOptions(o.hadoop)
  const scp = scpOptions(o.scp)

  let patterns: string[]
  let sourceSpec: unknown = o.source
  if (isSourceFiles(o.files)) {
    if (o.source !== undefined) throw invalidArg('type', 'give the source either in files.source or in source, not both')
    patterns = toPatterns(o.files.paths, 'files.paths')
    sourceSpec = o.files.source
  } else {
    if (o.files === undefined) throw invalidArg('type', 'files is required')
    patterns = toPatterns(o.files, 'files')
  }
  if (o.target === undefined) throw invalidArg('type', 'target is required')

  const overwrite = o.overwrite ?? 'ifChanged'
  if (!(OVERWRITE as readonly unknown[]).includes(overwrite)) {
    throw invalidArg('range', `overwrite must be one of ${OVERWRITE.join(', ')}, got '${String(overwrite)}'`)
  }
  const retryDelay = o.retryDelay ?? 1000
  if (typeof retryDelay !== 'number') throw invalidArg('type', 'retryDelay must be a number')
  if (!Number.isFinite(retryDelay) || retryDelay < 0) throw invalidArg('range', `retryDelay must be a finite number >= 0, got ${retryDelay}`)
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw invalidArg('type', 'signal must be an AbortSignal')
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw invalidArg('type', 'onProgress must be a function')

  const verify = bool(o.verify, 'verify', true)
  const deleteSource = bool(o.deleteSource, 'deleteSource', false)
  if (deleteSource && !verify) throw invalidArg('range', 'deleteSource needs verify: a source is only deleted after a verified copy')

  const concurrency = int(o.concurrency, 'concurrency', 4, 1)
  const retries = int(o.retries, 'retries', 3, 0)
  const preserveStructure = bool(o.preserveStructure, 'preserveStructure', true)
  const dryRun = bool(o.dryRun, 'dryRun', false)
  // Build filesystems last, so invalid options never leave an open connection behind.
  const target = toFs(o.target, 'target')
  const source = sourceSpec === undefined ? filesystem({ protocol: 'file', root: '/' }) : toFs(sourceSpec, 'source')
  const owned: FileSystem[] = []
  if (target !== o.target) owned.push(target)
  if (source !== sourceSpec && source !== target) owned.push(source)
  return {
    patterns,
    target,
    source,
    owned,
    sourceEndpoint: endpointOf(sourceSpec as FileSystemSpec | undefined, source),
    targetEndpoint: endpointOf(o.target, target),
    method: method as TransferMethod,
    bandwidth,
    compress: compress as Compression | undefined,
    hadoop,
    scp,
    concurrency,
    preserveStructure,
    overwrite,
    verify,
    retries,
    retryDelay,
    deleteSource,
    dryRun,
    signal: o.signal,
    onProgress: o.onProgress,
  }
}
