/** Validation of transferFiles options into a fully-defaulted, checked form. */
import { filesystem, type FileSystem, type FileSystemSpec } from '../storage/index.js'
import { TransferError, invalidArg } from './errors.js'
import type { OverwritePolicy, SourceFiles, TransferOptions, TransferProgress } from './types.js'

export interface ResolvedOptions {
  patterns: string[]
  source: FileSystem
  target: FileSystem
  /** Filesystems transferFiles built itself (from URLs or configs) and must close. */
  owned: FileSystem[]
  method: 'storage'
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

export function resolveOptions(options: TransferOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw invalidArg('type', 'transferFiles needs an options object')
  const o = options as TransferOptions & Record<string, unknown>

  const method = o.method ?? 'auto'
  if (!(METHODS as readonly unknown[]).includes(method)) {
    throw invalidArg('range', `method must be one of ${METHODS.join(', ')}, got '${String(method)}'`)
  }
  if (method !== 'storage' && method !== 'auto') {
    throw new TransferError(
      'ERR_METHOD_UNAVAILABLE',
      `transfer method '${method}' is not available in this version of logferry; use 'storage' or 'auto'`,
    )
  }

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
    method: 'storage',
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
