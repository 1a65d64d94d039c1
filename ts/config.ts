// Logger options: types, defaults and validation with clear messages.
import { configError } from './errors.js'
import type { NativeOptions } from './native.js'

export type LogFormat = 'text' | 'framed'
export type ShardSelection = 'thread' | 'roundRobin'
export type OnFull = 'block' | 'drop'

export interface LoggerOptions {
  /** File the logger writes; rotated files are sealed beside it. */
  logFilePath: string
  /** Bytes of one buffer generation over all shards (default 64 MiB). */
  bufferSize?: number
  /** Number of shards (default 8). */
  numShards?: number
  /** Rotate when the file reaches this size (default 1 GiB). */
  maxFileSize?: number
  /** fallocate(KEEP_SIZE) reservation for each new file (default 1 GiB). */
  preallocateFileSize?: number
  /** Partially filled buffers are written at least this often, in ms (default 10000). */
  flushInterval?: number
  /** How long flush/close wait for a failing disk, in ms (default 10000). */
  flushTimeout?: number
  format?: LogFormat
  shardSelection?: ShardSelection
  onFull?: OnFull
  /** O_DIRECT where the filesystem allows it (default true). */
  directIo?: boolean
}

const KEYS = new Set([
  'logFilePath', 'bufferSize', 'numShards', 'maxFileSize', 'preallocateFileSize',
  'flushInterval', 'flushTimeout', 'format', 'shardSelection', 'onFull', 'directIo',
])

function int(o: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const v = o[key]
  if (v === undefined) return undefined
  if (typeof v !== 'number') throw configError('type', `${key} must be a number, got ${typeof v}`)
  if (!Number.isInteger(v) || v < min || v > max) {
    throw configError('range', `${key} must be an integer in ${min}..${max}, got ${v}`)
  }
  return v
}

function oneOf<T extends string>(o: Record<string, unknown>, key: string, allowed: readonly T[]): T | undefined {
  const v = o[key]
  if (v === undefined) return undefined
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw configError(typeof v === 'string' ? 'range' : 'type', `${key} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(v)}`)
  }
  return v as T
}

/** Validates user options and maps them to the binding's options. */
export function toNativeOptions(options: LoggerOptions): NativeOptions {
  if (options === null || typeof options !== 'object') {
    throw configError('type', 'options must be an object with at least logFilePath')
  }
  const o = options as unknown as Record<string, unknown>
  for (const k of Object.keys(o)) {
    if (!KEYS.has(k)) throw configError('range', `unknown option '${k}'`)
  }
  if (typeof o.logFilePath !== 'string' || o.logFilePath.length === 0) {
    throw configError('type', 'logFilePath must be a non-empty string')
  }
  if (o.directIo !== undefined && typeof o.directIo !== 'boolean') {
    throw configError('type', `directIo must be a boolean, got ${typeof o.directIo}`)
  }
  const MAX = Number.MAX_SAFE_INTEGER
  return {
    logFilePath: o.logFilePath,
    bufferSize: int(o, 'bufferSize', 4096, 2 ** 40),
    numShards: int(o, 'numShards', 1, 1024),
    maxFileSize: int(o, 'maxFileSize', 4096, MAX),
    preallocateFileSize: int(o, 'preallocateFileSize', 0, MAX),
    flushInterval: int(o, 'flushInterval', 1, 2 ** 31),
    flushTimeout: int(o, 'flushTimeout', 0, 2 ** 31),
    format: oneOf(o, 'format', ['text', 'framed'] as const),
    shardSelection: oneOf(o, 'shardSelection', ['thread', 'roundRobin'] as const),
    onFull: oneOf(o, 'onFull', ['block', 'drop'] as const),
    directIo: o.directIo as boolean | undefined,
  }
}
