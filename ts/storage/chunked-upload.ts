/**
 * uploadFile: one local file to a path of any filesystem, through the delivery core's copyFile
 * (ts/delivery/copy-file.ts). Files larger than one chunk go up in parallel chunks where the
 * backend has parallelParts (S3 multipart, GCS compose, Azure blocks, WebHDFS concat): each of the
 * `concurrency` workers owns one chunk-sized buffer, so memory stays at about chunkSize x
 * concurrency whatever the file size. Every chunk is retried on transient errors; a failed upload
 * publishes nothing and removes its temporary parts. Smaller files and other backends are one
 * streamed write. Every byte is verified with the store (delivery/verify.ts): a mismatch fails
 * the upload with ERR_VERIFY_FAILED and leaves nothing under the final name.
 */
import { stat } from 'node:fs/promises'
import * as nodePath from 'node:path'
import { chunkSizeFor, copyFile, DEFAULT_CHUNK_SIZE } from '../delivery/copy-file.js'
import { retry } from '../delivery/retry.js'
import { DEFAULT_RETRIES, DEFAULT_RETRY_DELAY_MS } from '../options/defaults.js'
import { custom, func, instanceOf, integer, object, optional, withDefault, type Field } from '../options/schema.js'
import { invalidConfigReporter, validateOptions } from '../options/validate-options.js'
import { chunkedStrategyFor } from './chunked-strategies.js'
import type { ChunkedUploadStrategy } from './chunked-strategy.js'
import { LocalFileSystem } from './local.js'
import type { FileSystem } from './types.js'

export interface UploadFileOptions {
  /** Bytes per chunk (default 32 MiB; raised to the backend's minimum part size when smaller). */
  chunkSize?: number
  /** Chunks in flight at once (default 4). */
  concurrency?: number
  /** Retries per chunk (and per single put) on ETRANSIENT errors (default 3). */
  retries?: number
  /** Base backoff in ms, full jitter (default 1000). */
  retryDelay?: number
  signal?: AbortSignal
  /** Use this strategy instead of the backend's own (e.g. to wrap it). */
  strategy?: ChunkedUploadStrategy
  /** Called before a chunk (or a put) is retried. */
  onRetry?: (err: unknown, attempt: number, part: number | undefined) => void
}

export interface UploadFileResult {
  /** Bytes uploaded (the local file's size). */
  size: number
  /** 'put' or the strategy's name. */
  method: string
  /** Number of chunks (1 for a put). */
  parts: number
  /** Chunk size used (0 for a put). */
  chunkSize: number
  /** Retries that were needed. */
  retries: number
}

export { DEFAULT_CHUNK_SIZE }

const UPLOAD_FILE = object({
  chunkSize: withDefault(integer({ min: 1 }), DEFAULT_CHUNK_SIZE),
  concurrency: withDefault(integer({ min: 1 }), 4),
  retries: withDefault(integer({ min: 0 }), DEFAULT_RETRIES),
  retryDelay: withDefault(integer({ min: 0 }), DEFAULT_RETRY_DELAY_MS),
  signal: optional(instanceOf(AbortSignal)),
  strategy: optional(custom<ChunkedUploadStrategy>('a ChunkedUploadStrategy', (v) => typeof (v as { begin?: unknown } | null)?.begin === 'function')),
  onRetry: optional(func<NonNullable<UploadFileOptions['onRetry']>>()),
} satisfies Record<keyof UploadFileOptions, Field<unknown>>)
const report = invalidConfigReporter()

export async function uploadFile(fs: FileSystem, localPath: string, remotePath: string, options: UploadFileOptions = {}): Promise<UploadFileResult> {
  const { chunkSize: requested, concurrency, retries, retryDelay, signal } = validateOptions(UPLOAD_FILE, options, report)
  let retried = 0
  const retryOpts = (part: number | undefined) => ({
    retries,
    retryDelay,
    signal,
    onRetry: (err: unknown, attempt: number) => {
      retried++
      options.onRetry?.(err, attempt, part)
    },
  })

  const size = (await stat(localPath)).size
  const local = new LocalFileSystem()
  const source = nodePath.resolve(localPath)
  const strategy = options.strategy ?? chunkedStrategyFor(fs)
  const chunkSize = strategy ? chunkSizeFor(fs, strategy, size, requested) : requested
  if (!strategy || size <= chunkSize) {
    // One streamed write, hashed on the way and verified with the store (delivery/verify.ts);
    // the write is the unit retried.
    const { value: r } = await retry(() => copyFile(local, source, fs, remotePath, { signal }), retryOpts(undefined))
    return { size: r.source.bytes, method: 'put', parts: 1, chunkSize: 0, retries: retried }
  }
  // Parallel parts, each hashed by the worker that read it and retried on its own; the whole
  // object checked against the parts' checksums before (or right after) it is published.
  const r = await copyFile(local, source, fs, remotePath, {
    signal,
    chunkSize,
    concurrency,
    strategy,
    partRetry: { retries, retryDelay, onRetry: (err, attempt, part) => retryOpts(part).onRetry(err, attempt) },
  })
  return { size: r.source.bytes, method: r.method, parts: r.parts, chunkSize: r.chunkSize, retries: retried }
}
