/** Validation of copy job options into a checked, fully defaulted form. */
import { isAbsolute, join, resolve } from 'node:path'
import { invalidConfig } from '../config-error.js'
import { DEFAULT_RETRIES, DEFAULT_RETRY_DELAY_MS } from '../options/defaults.js'
import { boolean, custom, integer, list, number, object, optional, required, string, union, withDefault, type Field, type Schema } from '../options/schema.js'
import { configErrorReporter, validateOptions } from '../options/validate-options.js'
import { globBase } from '../storage/glob.js'
import { filesystem, type FileSystem, type FileSystemSpec } from '../storage/index.js'
import type { CopyJobRunnerOptions } from './copy-job-runner.js'
import type { CopyJobOptions, StopCopyOptions } from './types.js'

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

export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/

const report = configErrorReporter(() => 'is not a copy job option')
const ms = (min: number): Schema<number> => integer({ min, max: 2 ** 31 - 1 })
const text = optional(string({ nonEmpty: true }))
const jobName = optional(string({ pattern: NAME_RE, hint: "1-100 letters, digits, '.', '_' or '-' (not starting with '.', '_' or '-')" }))
const pattern = string({ nonEmpty: true })
const destination = optional(
  custom<FileSystemSpec>('a URL such as webhdfs://host:9870/dir or s3://bucket/prefix, a storage config or a FileSystem', (v) => (typeof v === 'string' && v !== '') || (typeof v === 'object' && v !== null)),
)

/** Every key of CopyJobOptions, plus the Python LogManager's names copyName and hdfsDestination. */
const COPY_JOB = object({
  name: jobName,
  copyName: jobName,
  localPattern: required(union(pattern, list(pattern, { nonEmpty: true })), 'is required (a path or glob, or a list of them)'),
  destination,
  hdfsDestination: destination,
  interval: withDefault(ms(1), 60_000),
  createDestDirs: withDefault(boolean(), true),
  preserveStructure: withDefault(boolean(), true),
  maxRetries: withDefault(ms(0), DEFAULT_RETRIES),
  retryDelay: withDefault(ms(0), DEFAULT_RETRY_DELAY_MS),
  includeActive: withDefault(boolean(), false),
  settleTime: withDefault(ms(0), 2_000),
  stateDir: text,
  statePath: text,
  concurrency: withDefault(ms(1), 4),
  verify: withDefault(boolean(), true),
  runOnStart: withDefault(boolean(), true),
} satisfies Record<keyof CopyJobOptions | 'copyName' | 'hdfsDestination', Field<unknown>>)

const STOP = object({ timeout: withDefault(number({ min: 0, noun: 'a number of ms' }), 10_000) } satisfies Record<keyof StopCopyOptions, Field<unknown>>)
const RUNNER = object({ defaultStateDir: text, keepAlive: optional(boolean()) } satisfies Record<keyof CopyJobRunnerOptions, Field<unknown>>)

/** stopCopy / stopAllCopies options: the timeout in ms (default 10000). */
export function resolveStopOptions(options: StopCopyOptions | undefined): { timeout: number } {
  return validateOptions(STOP, options ?? {}, configErrorReporter(() => 'is not a stopCopy option'))
}

/** CopyJobRunner constructor options. */
export function resolveRunnerOptions(options: CopyJobRunnerOptions): CopyJobRunnerOptions {
  return validateOptions(RUNNER, options, configErrorReporter(() => 'is not a CopyJobRunner option'))
}

/** `a` or its alias `b`, not both. */
function either<T>(a: string, va: T | undefined, b: string, vb: T | undefined): [string, T | undefined] {
  if (va !== undefined && vb !== undefined) throw invalidConfig(b, `is an alias of ${a}; give only one of them`)
  return vb !== undefined ? [b, vb] : [a, va]
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
  const o = validateOptions(COPY_JOB, options, report)
  const [nameKey, name] = either('name', o.name, 'copyName', o.copyName)
  if (name === undefined) throw invalidConfig(nameKey, "must be 1-100 letters, digits, '.', '_' or '-' (not starting with '.', '_' or '-'), got undefined")
  const pats = (typeof o.localPattern === 'string' ? [o.localPattern] : o.localPattern).map((p) => (isAbsolute(p) ? p : resolve(p)))
  const statePath = o.statePath
    ? resolve(o.statePath)
    : join(resolve(o.stateDir ?? defaultStateDir ?? join('/', globBase(pats[0]!.slice(1)), '.logferry-copy')), `${name}.json`)

  const [destKey, dest] = either('destination', o.destination, 'hdfsDestination', o.hdfsDestination)
  if (dest === undefined) {
    throw invalidConfig(destKey, 'is required: a URL such as webhdfs://host:9870/dir or s3://bucket/prefix, a storage config or a FileSystem')
  }
  let destination: FileSystem
  try {
    destination = filesystem(dest)
  } catch (err) {
    throw invalidConfig(destKey, `is not a valid destination (${err instanceof Error ? err.message : String(err)})`, err)
  }
  const { interval, createDestDirs, preserveStructure, maxRetries, retryDelay, includeActive, settleTime, concurrency, verify, runOnStart } = o
  return {
    name,
    patterns: pats,
    destination,
    ownsDestination: destination !== dest,
    destinationLabel: label(dest, destination),
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
