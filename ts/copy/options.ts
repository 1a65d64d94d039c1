/** Validation of copy job options into a checked, fully defaulted form. */
import { isAbsolute, join, resolve } from 'node:path'
import { invalidConfig } from '../config-error.js'
import { globBase } from '../storage/glob.js'
import { filesystem, type FileSystem, type FileSystemSpec } from '../storage/index.js'
import type { CopyJobOptions } from './types.js'

export interface ResolvedCopyJob {
  name: string
  /** Absolute local patterns. */
  patterns: string[]
  destination: FileSystem
  /** True when the job built the filesystem itself and must close it. */
  ownsDestination: boolean
  destinationLabel: string
  interval: number
  createDestDirs: boolean
  preserveStructure: boolean
  maxRetries: number
  retryDelay: number
  includeActive: boolean
  settleTime: number
  statePath: string
  concurrency: number
  verify: boolean
  runOnStart: boolean
}

const KEYS = new Set([
  'name', 'copyName', 'localPattern', 'destination', 'hdfsDestination', 'interval', 'createDestDirs',
  'preserveStructure', 'maxRetries', 'retryDelay', 'includeActive', 'settleTime', 'stateDir', 'statePath',
  'concurrency', 'verify', 'runOnStart',
])

export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/

function bool(o: Record<string, unknown>, key: string, dflt: boolean): boolean {
  const v = o[key]
  if (v === undefined) return dflt
  if (typeof v !== 'boolean') throw invalidConfig(key, `must be true or false, got ${JSON.stringify(v)}`)
  return v
}

function int(o: Record<string, unknown>, key: string, dflt: number, min: number): number {
  const v = o[key]
  if (v === undefined) return dflt
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 2 ** 31 - 1) {
    throw invalidConfig(key, `must be an integer from ${min} to ${2 ** 31 - 1}, got ${JSON.stringify(v)}`)
  }
  return v
}

function str(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key]
  if (v === undefined) return undefined
  if (typeof v !== 'string' || v.trim() === '') throw invalidConfig(key, `must be a non-empty string, got ${JSON.stringify(v)}`)
  return v
}

/** `a` or its alias `b`, not both. */
function either(o: Record<string, unknown>, a: string, b: string): [string, unknown] {
  if (o[a] !== undefined && o[b] !== undefined) throw invalidConfig(b, `is an alias of ${a}; give only one of them`)
  return o[b] !== undefined ? [b, o[b]] : [a, o[a]]
}

function patterns(v: unknown): string[] {
  const list = typeof v === 'string' ? [v] : v
  if (list === undefined) throw invalidConfig('localPattern', 'is required (a path or glob, or a list of them)')
  if (!Array.isArray(list) || list.length === 0) {
    throw invalidConfig('localPattern', `must be a non-empty string or a non-empty list of strings, got ${JSON.stringify(v)}`)
  }
  return list.map((p: unknown, i) => {
    if (typeof p !== 'string' || p.trim() === '') throw invalidConfig(`localPattern[${i}]`, `must be a non-empty string, got ${JSON.stringify(p)}`)
    return isAbsolute(p) ? p : resolve(p)
  })
}

/** A URL without credentials, or the protocol of a config/FileSystem. */
function label(spec: FileSystemSpec, fs: FileSystem): string {
  if (typeof spec !== 'string') return `${fs.protocol}:`
  try {
    const u = new URL(spec)
    u.username = ''
    u.password = ''
    u.search = ''
    return u.toString()
  } catch {
    return spec
  }
}

export function resolveCopyJob(options: CopyJobOptions, defaultStateDir?: string): ResolvedCopyJob {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidConfig('options', 'copy job options must be an object')
  }
  const o = options as unknown as Record<string, unknown>
  for (const k of Object.keys(o)) {
    if (!KEYS.has(k)) throw invalidConfig(k, 'is not a copy job option')
  }
  const [nameKey, name] = either(o, 'name', 'copyName')
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw invalidConfig(nameKey, `must be 1-100 letters, digits, '.', '_' or '-' (not starting with '.', '_' or '-'), got ${JSON.stringify(name)}`)
  }
  const pats = patterns(o.localPattern)
  const interval = int(o, 'interval', 60_000, 1)
  const createDestDirs = bool(o, 'createDestDirs', true)
  const preserveStructure = bool(o, 'preserveStructure', true)
  const maxRetries = int(o, 'maxRetries', 3, 0)
  const retryDelay = int(o, 'retryDelay', 5_000, 0)
  const includeActive = bool(o, 'includeActive', false)
  const settleTime = int(o, 'settleTime', 2_000, 0)
  const concurrency = int(o, 'concurrency', 4, 1)
  const verify = bool(o, 'verify', true)
  const runOnStart = bool(o, 'runOnStart', true)
  const stateDir = str(o, 'stateDir')
  const statePathOpt = str(o, 'statePath')
  const statePath = statePathOpt
    ? resolve(statePathOpt)
    : join(resolve(stateDir ?? defaultStateDir ?? join('/', globBase(pats[0]!.slice(1)), '.logferry-copy')), `${name}.json`)

  const [destKey, dest] = either(o, 'destination', 'hdfsDestination')
  if (dest === undefined || dest === null || (typeof dest !== 'string' && typeof dest !== 'object') || dest === '') {
    throw invalidConfig(destKey, 'is required: a URL such as webhdfs://host:9870/dir or s3://bucket/prefix, a storage config or a FileSystem')
  }
  let destination: FileSystem
  try {
    destination = filesystem(dest as FileSystemSpec)
  } catch (err) {
    throw invalidConfig(destKey, `is not a valid destination (${err instanceof Error ? err.message : String(err)})`, err)
  }
  return {
    name,
    patterns: pats,
    destination,
    ownsDestination: destination !== dest,
    destinationLabel: label(dest as FileSystemSpec, destination),
    interval,
    createDestDirs,
    preserveStructure,
    maxRetries,
    retryDelay,
    includeActive,
    settleTime,
    statePath,
    concurrency,
    verify,
    runOnStart,
  }
}
