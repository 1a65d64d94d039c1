/**
 * uploadFile: one local file to a path of any filesystem. Files larger than one chunk go up in
 * parallel chunks where the backend supports it (S3 multipart, GCS compose, Azure blocks,
 * WebHDFS concat): the file is read with positioned reads, each of the `concurrency` workers
 * owns one chunk-sized buffer, so memory stays at about chunkSize x concurrency whatever the
 * file size. Every chunk is retried on transient errors; a failed upload publishes nothing and
 * removes its temporary parts. Smaller files and other backends use the filesystem's `put`.
 */
import { open, stat } from 'node:fs/promises'
import { retry } from '../delivery/retry.js'
import { configError } from '../errors.js'
import { chunkedStrategyFor } from './chunked-strategies.js'
import type { ChunkedUploadStrategy } from './chunked-strategy.js'
import { isStorageError, StorageError } from './errors.js'
import type { FileSystem } from './types.js'

export interface UploadFileOptions {
  /** Bytes per chunk (default 32 MiB; raised to the backend's minimum part size when smaller). */
  chunkSize?: number
  /** Chunks in flight at once (default 4). */
  concurrency?: number
  /** Retries per chunk (and per single put) on ETRANSIENT errors (default 3). */
  retries?: number
  /** Base backoff in ms, full jitter (default 500). */
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

export const DEFAULT_CHUNK_SIZE = 32 << 20

function positiveInt(value: number | undefined, key: string, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value)) throw configError('type', `${key} must be an integer, got ${String(value)}`)
  if (value < min) throw configError('range', `${key} must be at least ${min}, got ${value}`)
  return value
}

export async function uploadFile(fs: FileSystem, localPath: string, remotePath: string, options: UploadFileOptions = {}): Promise<UploadFileResult> {
  const requested = positiveInt(options.chunkSize, 'chunkSize', DEFAULT_CHUNK_SIZE, 1)
  const concurrency = positiveInt(options.concurrency, 'concurrency', 4, 1)
  const retries = positiveInt(options.retries, 'retries', 3, 0)
  const retryDelay = positiveInt(options.retryDelay, 'retryDelay', 500, 0)
  const signal = options.signal
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
  const strategy = options.strategy ?? chunkedStrategyFor(fs)
  const chunkSize = strategy ? Math.max(requested, strategy.minPartSize, Math.ceil(size / strategy.maxParts)) : requested
  if (!strategy || size <= chunkSize) {
    await retry(() => fs.put(localPath, remotePath), retryOpts(undefined))
    await verifySize(fs, remotePath, size)
    return { size, method: 'put', parts: 1, chunkSize: 0, retries: retried }
  }

  const parts = Math.ceil(size / chunkSize)
  const handle = await open(localPath, 'r')
  try {
    // A store that lost the upload session (a part or the completion answers 'no such upload',
    // e.g. after a restart) makes retrying parts useless: the upload is begun again, once. Only
    // this error restarts a session; transient errors are retried per part, never per session.
    let lost = false
    const sessionLost = (err: unknown): never => {
      lost ||= isStorageError(err, 'ENOENT')
      throw err
    }
    await retry(async () => {
      lost = false
      const { value: session } = await retry(() => strategy.begin(remotePath, size), retryOpts(undefined))
      try {
        let next = 0
        let failed = false
        const worker = async (): Promise<void> => {
          const buffer = Buffer.allocUnsafe(chunkSize)
          while (!failed && next < parts) {
            signal?.throwIfAborted()
            const index = next++
            const offset = index * chunkSize
            const length = Math.min(chunkSize, size - offset)
            let got = 0
            while (got < length) {
              const { bytesRead } = await handle.read(buffer, got, length - got, offset + got)
              if (bytesRead === 0) throw new StorageError('EIO', { backend: fs.protocol, path: remotePath, detail: `${localPath} shrank while uploading` })
              got += bytesRead
            }
            const data = buffer.subarray(0, length)
            await retry(() => session.uploadPart(index, data), retryOpts(index)).catch(sessionLost)
          }
        }
        // allSettled: on a failure the other workers finish their current chunk (and stop) before
        // the abort, so no part is created after the cleanup.
        const settled = await Promise.allSettled(
          Array.from({ length: Math.min(concurrency, parts) }, () =>
            worker().catch((err: unknown) => {
              failed = true
              throw err
            }),
          ),
        )
        const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected')
        if (failure) throw failure.reason
        signal?.throwIfAborted()
        const now = (await handle.stat()).size
        if (now !== size) throw new StorageError('EIO', { backend: fs.protocol, path: remotePath, detail: `${localPath} changed size while uploading` })
        await session.complete(parts).catch(sessionLost)
      } catch (err) {
        await session.abort()
        throw err
      }
    }, { retries: 1, retryDelay: 0, signal, retryable: () => lost })
  } finally {
    await handle.close()
  }
  await verifySize(fs, remotePath, size)
  return { size, method: strategy.name, parts, chunkSize, retries: retried }
}

/** The published object must have exactly the local file's size. */
async function verifySize(fs: FileSystem, remotePath: string, size: number): Promise<void> {
  const info = await fs.stat(remotePath)
  if (info.kind !== 'file' || info.size !== size) {
    throw new StorageError('EIO', { backend: fs.protocol, path: remotePath, detail: `uploaded size ${info.size} differs from the local ${size} bytes` })
  }
}
