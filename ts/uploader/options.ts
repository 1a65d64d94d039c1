/** Options of createUploader and their validation (errors carry code ERR_INVALID_CONFIG). */
import { configError } from '../errors.js'
import { DEFAULT_RETRIES, DEFAULT_RETRY_DELAY_MS } from '../options/defaults.js'
import { boolean, custom, func, integer, number, object, refine, required, string, union, withDefault, type Field } from '../options/schema.js'
import { invalidConfigReporter, validateOptions } from '../options/validate-options.js'
import { DEFAULT_CHUNK_SIZE } from '../storage/chunked-upload.js'
import type { FileSystemSpec } from '../storage/factory.js'
import type { CloseOptions } from './types.js'
import { DEFAULT_OBJECT_NAME, type ObjectNameOption, unknownPlaceholders } from './object-name.js'

export interface UploaderOptions {
  /** Where files go: a FileSystem, a URL ('s3://bucket/logs') or a storage config object. */
  target: FileSystemSpec
  /** Directory holding the persisted queue (created if missing). Required. */
  stateDir: string
  /** Prepended to every object name (default ''). */
  objectPrefix?: string
  /** Template with {event}, {timestamp}, {date}, {name}, {ext}, or a function (default '{event}_{timestamp}.log'). */
  objectName?: ObjectNameOption
  /** Bytes per chunk of a parallel upload (default 32 MiB). */
  chunkSize?: number
  /** Chunks of one file in flight at once (default 4). Memory ~ chunkSize x concurrency x parallelFiles. */
  concurrency?: number
  /** Files uploaded at once (default 1). */
  parallelFiles?: number
  /** Retries per chunk, and attempts per file before it is marked failed (default 3). */
  maxRetries?: number
  /** Base backoff in ms for chunk and file retries, exponential with full jitter (default 1000). */
  retryDelay?: number
  /** Failed files are queued again after this many ms (default 300000; 0: only on start or retryFailed()). */
  retryFailedInterval?: number
  /** Delete the local file once it is uploaded and verified (default false). */
  deleteAfterUpload?: boolean
  /** On attach, queue sealed files already in the logger's directory that were never uploaded (default true). */
  scanExisting?: boolean
}

export interface ResolvedUploaderOptions {
  target: FileSystemSpec
  stateDir: string
  objectPrefix: string
  objectName: ObjectNameOption
  chunkSize: number
  concurrency: number
  parallelFiles: number
  maxRetries: number
  retryDelay: number
  retryFailedInterval: number
  deleteAfterUpload: boolean
  scanExisting: boolean
}

const report = invalidConfigReporter('uploader option')

const spec = custom<FileSystemSpec>('a FileSystem, URL or storage config', (v) => (typeof v === 'string' && v !== '') || (typeof v === 'object' && v !== null))
const objectName = union(
  refine(string({ nonEmpty: true }), (name, ctx) => {
    const bad = unknownPlaceholders(name)
    if (bad.length > 0) ctx.fail('range', `has unknown placeholders: ${bad.map((b) => `{${b}}`).join(', ')}`)
    return name
  }),
  func<Exclude<ObjectNameOption, string>>(),
)

/** Every key of UploaderOptions (the `satisfies` keeps the two in step). */
const UPLOADER = object({
  target: required(spec, 'is required (a FileSystem, URL or storage config)'),
  stateDir: required(string({ nonEmpty: true }), 'is required (a directory for the persisted queue)'),
  objectPrefix: withDefault(string(), ''),
  objectName: withDefault<ObjectNameOption>(objectName, DEFAULT_OBJECT_NAME),
  chunkSize: withDefault(integer({ min: 1, max: 4000 * 1024 * 1024 }), DEFAULT_CHUNK_SIZE),
  concurrency: withDefault(integer({ min: 1, max: 256 }), 4),
  parallelFiles: withDefault(integer({ min: 1, max: 64 }), 1),
  maxRetries: withDefault(integer({ min: 0, max: 1000 }), DEFAULT_RETRIES),
  retryDelay: withDefault(integer({ min: 0, max: 3_600_000 }), DEFAULT_RETRY_DELAY_MS),
  retryFailedInterval: withDefault(integer({ min: 0, max: 2_147_483_647 }), 300_000),
  deleteAfterUpload: withDefault(boolean(), false),
  scanExisting: withDefault(boolean(), true),
} satisfies Record<keyof UploaderOptions, Field<unknown>>)

export function resolveUploaderOptions(options: UploaderOptions): ResolvedUploaderOptions {
  if (options === null || typeof options !== 'object') throw configError('type', 'uploader options must be an object')
  return validateOptions(UPLOADER, options, report)
}

const CLOSE = object({ timeout: withDefault(number({ min: 0, noun: 'a number of ms' }), 30_000) } satisfies Record<keyof CloseOptions, Field<unknown>>)

/** Uploader.close options: how long uploads in progress may take, in ms (default 30000). */
export function resolveCloseOptions(options: CloseOptions): { timeout: number } {
  return validateOptions(CLOSE, options, invalidConfigReporter('close option'))
}
