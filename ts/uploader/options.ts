/** Options of createUploader and their validation (errors carry code ERR_INVALID_CONFIG). */
import { configError } from '../errors.js'
import type { FileSystemSpec } from '../storage/factory.js'
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

const KNOWN = new Set([
  'target', 'stateDir', 'objectPrefix', 'objectName', 'chunkSize', 'concurrency', 'parallelFiles',
  'maxRetries', 'retryDelay', 'retryFailedInterval', 'deleteAfterUpload', 'scanExisting',
])

function int(o: Record<string, unknown>, key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = o[key]
  if (v === undefined) return fallback
  if (typeof v !== 'number' || !Number.isInteger(v)) throw configError('type', `uploader option ${key} must be an integer, got ${JSON.stringify(v)}`)
  if (v < min || v > max) throw configError('range', `uploader option ${key} must be between ${min} and ${max}, got ${v}`)
  return v
}

function bool(o: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = o[key]
  if (v === undefined) return fallback
  if (typeof v !== 'boolean') throw configError('type', `uploader option ${key} must be a boolean, got ${JSON.stringify(v)}`)
  return v
}

export function resolveUploaderOptions(options: UploaderOptions): ResolvedUploaderOptions {
  if (options === null || typeof options !== 'object') throw configError('type', 'uploader options must be an object')
  const o = options as unknown as Record<string, unknown>
  for (const k of Object.keys(o)) if (!KNOWN.has(k)) throw configError('range', `unknown uploader option ${k}`)
  if (o.target === undefined || o.target === null || o.target === '') throw configError('type', 'uploader option target is required (a FileSystem, URL or storage config)')
  if (typeof o.stateDir !== 'string' || o.stateDir === '') throw configError('type', 'uploader option stateDir is required (a directory for the persisted queue)')
  const prefix = o.objectPrefix ?? ''
  if (typeof prefix !== 'string') throw configError('type', 'uploader option objectPrefix must be a string')
  const name = o.objectName ?? DEFAULT_OBJECT_NAME
  if (typeof name === 'string') {
    if (name === '') throw configError('range', 'uploader option objectName must not be empty')
    const bad = unknownPlaceholders(name)
    if (bad.length > 0) throw configError('range', `uploader option objectName has unknown placeholders: ${bad.map((b) => `{${b}}`).join(', ')}`)
  } else if (typeof name !== 'function') {
    throw configError('type', 'uploader option objectName must be a template string or a function')
  }
  return {
    target: options.target,
    stateDir: o.stateDir,
    objectPrefix: prefix,
    objectName: name as ObjectNameOption,
    chunkSize: int(o, 'chunkSize', 32 * 1024 * 1024, 1, 4000 * 1024 * 1024),
    concurrency: int(o, 'concurrency', 4, 1, 256),
    parallelFiles: int(o, 'parallelFiles', 1, 1, 64),
    maxRetries: int(o, 'maxRetries', 3, 0, 1000),
    retryDelay: int(o, 'retryDelay', 1000, 0, 3_600_000),
    retryFailedInterval: int(o, 'retryFailedInterval', 300_000, 0, 2_147_483_647),
    deleteAfterUpload: bool(o, 'deleteAfterUpload', false),
    scanExisting: bool(o, 'scanExisting', true),
  }
}
