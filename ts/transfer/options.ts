/** Validation of transferFiles options into a fully-defaulted, checked form. */
import { DEFAULT_RETRIES, DEFAULT_RETRY_DELAY_MS } from '../options/defaults.js'
import {
  boolean,
  custom,
  func,
  instanceOf,
  integer,
  list,
  number,
  object,
  oneOf,
  optional,
  rate,
  record,
  refine,
  required,
  size,
  string,
  union,
  withDefault,
  type Field,
} from '../options/schema.js'
import { invalidArgReporter, reportIssue, validateOptions } from '../options/validate-options.js'
import { DEFAULT_CHUNK_SIZE } from '../delivery/copy-file.js'
import { filesystem, type FileSystem, type FileSystemSpec } from '../storage/index.js'
import { endpointOf, type Endpoint } from './endpoint.js'
import { invalidArg } from './errors.js'
import type {
  Compression,
  DistcpStrategy,
  HadoopOptions,
  OverwritePolicy,
  PlannedFiles,
  PlannedSourceFile,
  ScpOptions,
  TransferMethod,
  TransferOptions,
  TransferProgress,
} from './types.js'

export interface ResolvedOptions {
  patterns: string[]
  /** A planned list given by the caller: no planning (then `patterns` is empty). */
  planned: readonly PlannedSourceFile[] | undefined
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
  /** Part size of the storage method's chunked copies (bytes). */
  chunkSize: number
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
  mirror: boolean
  /** distcp -m, when given (else the method derives it from concurrency). */
  maps: number | undefined
  strategy: DistcpStrategy
  /** distcp's -p argument ('-p', '-prbugp'), or undefined. */
  preserve: string | undefined
  signal: AbortSignal | undefined
  onProgress: ((p: TransferProgress) => void) | undefined
}

const METHODS = ['storage', 'distcp', 'hdfs-put', 'hdfs-cp', 'scp', 'auto'] as const
const OVERWRITE = ['ifChanged', 'always', 'never'] as const
const COMPRESS = ['gzip', 'zstd'] as const
const HOST_KEY_CHECKING = ['yes', 'no', 'accept-new'] as const
const STRATEGIES = ['dynamic', 'uniformsize'] as const
/** distcp -p letters: replication, block size, user, group, permission, checksum type, ACLs, XAttrs, timestamps, erasure coding policy. */
const PRESERVE = union(boolean(), string({ pattern: /^[rbugpcaxte]+$/, hint: "true or distcp's -p letters (some of 'rbugpcaxte')" }))

const report = invalidArgReporter()

/**
 * Bounds of chunkSize. Below 64 KiB a part costs a request (a temporary file on WebHDFS) for
 * almost no bytes. 4000 MiB is the largest part every store takes (Azure's block limit; S3
 * allows 5 GiB) and fits one Buffer.
 */
export const CHUNK_SIZE_MIN = 64 << 10
export const CHUNK_SIZE_MAX = 4000 * 2 ** 20
const CHUNK_SIZE = refine(size({ min: CHUNK_SIZE_MIN, belowMin: 'is below the smallest part size, 64 KiB' }), (n, ctx) => {
  if (n > CHUNK_SIZE_MAX) ctx.fail('range', `${n} is above the largest part size every store takes, 4000 MiB`)
  return n
})

/** A URL, config or FileSystem: accepted as it is here, built (and checked) by filesystem(). */
const fsSpec = custom<FileSystemSpec>('a URL, a storage config object or a FileSystem', (v) => typeof v === 'string' || (typeof v === 'object' && v !== null))
const patterns = union(string({ nonEmpty: true }), list(string({ nonEmpty: true }), { nonEmpty: true }))
const SOURCE_FILES = object({ source: required(fsSpec), paths: required(patterns) }, { noun: '{ source, paths }' })
const PLANNED_FILE = object({
  path: required(string({ nonEmpty: true })),
  target: optional(string({ nonEmpty: true })),
  size: required(integer({ min: 0 })),
  mtime: optional(instanceOf(Date)),
} satisfies Record<keyof PlannedSourceFile, Field<unknown>>)
const PLANNED_SHAPE = object({ source: optional(fsSpec), planned: required(list(PLANNED_FILE)) } satisfies Record<keyof PlannedFiles, Field<unknown>>)
/** A planned list is told from { source, paths } by its `planned` key. */
const PLANNED_FILES = custom<PlannedFiles>(
  'a planned list ({ source, planned })',
  (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && 'planned' in v,
  (v, ctx) => PLANNED_SHAPE.parse(v, ctx),
)
const timeout = optional(number({ min: 0, exclusive: true, noun: 'a number of ms' }))
const binary = optional(string({ nonEmpty: true }))

const HADOOP = object({
  bin: binary,
  env: optional(record(string())),
  conf: optional(string({ nonEmpty: true })),
  namenode: optional(string({ nonEmpty: true, pattern: /^hdfs:\/\/[^/]+\/?$/, hint: "a NameNode address like 'hdfs://host:port'" })),
  timeoutMs: timeout,
} satisfies Record<keyof HadoopOptions, Field<unknown>>)

const SCP = object({
  bin: binary,
  strictHostKeyChecking: optional(oneOf(HOST_KEY_CHECKING)),
  knownHostsFile: optional(string({ nonEmpty: true })),
  timeoutMs: timeout,
} satisfies Record<keyof ScpOptions, Field<unknown>>)

/** Every key of TransferOptions (the `satisfies` keeps the two in step). */
const TRANSFER = object({
  files: required(union(patterns, PLANNED_FILES, SOURCE_FILES)),
  source: optional(fsSpec),
  target: required(fsSpec),
  method: withDefault(oneOf(METHODS), 'auto'),
  concurrency: withDefault(integer({ min: 1 }), 4),
  preserveStructure: withDefault(boolean(), true),
  overwrite: withDefault(oneOf(OVERWRITE), 'ifChanged'),
  verify: withDefault(boolean(), true),
  retries: withDefault(integer({ min: 0 }), DEFAULT_RETRIES),
  retryDelay: withDefault(number({ min: 0, noun: 'a number of ms' }), DEFAULT_RETRY_DELAY_MS),
  deleteSource: withDefault(boolean(), false),
  dryRun: withDefault(boolean(), false),
  mirror: withDefault(boolean(), false),
  maps: optional(integer({ min: 1 })),
  strategy: optional(oneOf(STRATEGIES)),
  preserve: optional(PRESERVE),
  bandwidthLimit: optional(rate()),
  compress: optional(oneOf(COMPRESS)),
  chunkSize: optional(CHUNK_SIZE),
  hadoop: optional(HADOOP),
  scp: optional(SCP),
  signal: optional(instanceOf(AbortSignal)),
  onProgress: optional(func<(p: TransferProgress) => void>()),
} satisfies Record<keyof TransferOptions, Field<unknown>>)

function toFs(spec: FileSystemSpec, name: string): FileSystem {
  try {
    return filesystem(spec)
  } catch (err) {
    const e = invalidArg('type', `${name} is not a valid filesystem: ${err instanceof Error ? err.message : String(err)}`)
    Object.defineProperty(e, 'cause', { value: err })
    throw e
  }
}

export function resolveOptions(options: TransferOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw invalidArg('type', 'transferFiles needs an options object')
  const o = validateOptions(TRANSFER, options, report)

  for (const key of ['compress', 'chunkSize'] as const) {
    if (o[key] !== undefined && o.method !== 'storage' && o.method !== 'auto') reportIssue(report, 'range', key, `is only used by the 'storage' method (or 'auto'), not by '${o.method}'`)
  }
  let patterns: string[]
  let planned: readonly PlannedSourceFile[] | undefined
  let sourceSpec: FileSystemSpec | undefined = o.source
  if (typeof o.files === 'object' && 'planned' in o.files) {
    if (o.source !== undefined && o.files.source !== undefined) reportIssue(report, 'type', 'source', 'must not be given with files.source: give the source in one of them')
    patterns = []
    planned = o.files.planned
    sourceSpec = o.files.source ?? o.source
  } else if (typeof o.files === 'object' && !Array.isArray(o.files)) {
    if (o.source !== undefined) reportIssue(report, 'type', 'source', 'must not be given with files.source: give the source in one of them')
    patterns = typeof o.files.paths === 'string' ? [o.files.paths] : o.files.paths
    sourceSpec = o.files.source
  } else {
    patterns = typeof o.files === 'string' ? [o.files] : o.files
  }
  if (o.deleteSource && !o.verify) reportIssue(report, 'range', 'deleteSource', 'needs verify: a source is only deleted after a verified copy')
  if (o.mirror && o.overwrite === 'never') reportIssue(report, 'range', 'mirror', "cannot be used with overwrite 'never': a mirror replaces changed target files")
  if (o.mirror && o.deleteSource) reportIssue(report, 'range', 'mirror', 'cannot be used with deleteSource: the next mirror would delete every copied file')
  for (const key of ['maps', 'strategy', 'preserve'] as const) {
    if (o[key] !== undefined && o.method !== 'distcp' && o.method !== 'auto') reportIssue(report, 'range', key, `is a distcp option (method 'distcp' or 'auto'), not used by '${o.method}'`)
  }
  const h = o.hadoop
  const s = o.scp
  const hadoop: HadoopOptions = { bin: h?.bin, env: h?.env, conf: h?.conf, namenode: h?.namenode?.replace(/\/$/, ''), timeoutMs: h?.timeoutMs }
  const scp: ScpOptions = { bin: s?.bin, strictHostKeyChecking: s?.strictHostKeyChecking, knownHostsFile: s?.knownHostsFile, timeoutMs: s?.timeoutMs }

  // Build filesystems last, so invalid options never leave an open connection behind.
  const target = toFs(o.target, 'target')
  const source = sourceSpec === undefined ? filesystem({ protocol: 'file', root: '/' }) : toFs(sourceSpec, 'source')
  const owned: FileSystem[] = []
  if (target !== o.target) owned.push(target)
  if (source !== sourceSpec && source !== target) owned.push(source)
  return {
    patterns,
    planned,
    target,
    source,
    owned,
    sourceEndpoint: endpointOf(source, source === sourceSpec),
    targetEndpoint: endpointOf(target, target === o.target),
    method: o.method,
    bandwidth: o.bandwidthLimit,
    compress: o.compress,
    chunkSize: o.chunkSize ?? DEFAULT_CHUNK_SIZE,
    hadoop,
    scp,
    concurrency: o.concurrency,
    preserveStructure: o.preserveStructure,
    overwrite: o.overwrite,
    verify: o.verify,
    retries: o.retries,
    retryDelay: o.retryDelay,
    deleteSource: o.deleteSource,
    dryRun: o.dryRun,
    mirror: o.mirror,
    maps: o.maps,
    strategy: o.strategy ?? 'dynamic',
    preserve: o.preserve === true ? '-p' : typeof o.preserve === 'string' ? `-p${o.preserve}` : undefined,
    signal: o.signal,
    onProgress: o.onProgress,
  }
}
