/**
 * The uploader of sealed log files. Every file handed to it (by an attached Logger or
 * LoggerManager, or by enqueue) is first written to the persisted queue in `stateDir`, then
 * uploaded with `uploadFile` (parallel chunks, each request retried up to maxRetries times),
 * verified, recorded as done, and only then optionally deleted. The queue lives on disk and is
 * unbounded: nothing is dropped. A file whose upload fails stays in the state as failed and is
 * tried again after retryFailedInterval, on the next start, or on retryFailed().
 */
import { EventEmitter } from 'node:events'
import { readdir, stat, unlink } from 'node:fs/promises'
import { basename, extname, join, resolve } from 'node:path'
import { Logger } from '../logger.js'
import { LoggerManager } from '../logger-manager.js'
import { uploadFile } from '../storage/chunked-upload.js'
import { filesystem } from '../storage/factory.js'
import type { FileSystem } from '../storage/types.js'
import { objectNameInput, renderObjectName } from './object-name.js'
import type { ResolvedUploaderOptions, UploaderOptions } from './options.js'
import { resolveCloseOptions, resolveUploaderOptions } from './options.js'
import { UploaderError } from './errors.js'
import type { QueueEntry } from './queue-entry.js'
import { isSealedSiblingOf, nameOfUnsealed, parseSealedName } from './sealed-name.js'
import { StateStore, entryId } from './state-store.js'
import type { CloseOptions, FailedUpload, UploadedFile, UploaderStats } from './types.js'

type UploaderEvents = {
  uploaded: [file: UploadedFile]
  failed: [upload: FailedUpload]
  /** A problem outside one file's upload (state directory, scan); the uploader keeps going. */
  error: [error: Error]
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)))

export class Uploader extends EventEmitter<UploaderEvents> {
  readonly options: ResolvedUploaderOptions
  readonly target: FileSystem
  readonly #ownsTarget: boolean
  readonly #store: StateStore
  readonly #ready: Promise<void>
  /** Every entry this uploader knows that is not done: queued, uploading or failed. */
  readonly #entries = new Map<string, QueueEntry>()
  readonly #queue: QueueEntry[] = []
  readonly #active = new Set<string>()
  readonly #detachers = new Set<() => void>()
  readonly #abort = new AbortController()
  readonly #idleWaiters: (() => void)[] = []
  #stats: UploaderStats = { totalFiles: 0, successful: 0, failed: 0, totalBytes: 0, pending: 0 }
  #closing = false
  #retryTimer: NodeJS.Timeout | undefined
  /** Enqueues still being persisted (drain waits for them). */
  #persisting = 0

  constructor(options: UploaderOptions) {
    super()
    this.options = resolveUploaderOptions(options)
    this.#ownsTarget = typeof options.target === 'string' || !('protocol' in options.target && typeof (options.target as FileSystem).ls === 'function')
    this.target = filesystem(this.options.target)
    this.#store = new StateStore(resolve(this.options.stateDir))
    this.#ready = this.#start()
    this.#ready.catch(() => undefined)
  }

  /** Resolves once the state directory is open and its entries are queued (rejects if it cannot be). */
  ready(): Promise<void> {
    return this.#ready
  }

  async #start(): Promise<void> {
    const entries = await this.#store.open()
    for (const e of entries) {
      // Failed entries of an earlier run get another chance now.
      const entry: QueueEntry = { ...e, status: 'pending' }
      this.#entries.set(entry.id, entry)
      this.#stats.totalFiles++
      this.#stats.pending++
      this.#queue.push(entry)
    }
    if (this.options.retryFailedInterval > 0) {
      this.#retryTimer = setInterval(() => {
        this.retryFailed().catch((err: unknown) => this.#report(err))
      }, this.options.retryFailedInterval)
      this.#retryTimer.unref()
    }
    this.#pump()
  }

  #report(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', asError(err))
  }

  stats(): UploaderStats {
    return { ...this.#stats }
  }

  /**
   * Queues a file (persisted before this resolves). `event` names it in the object name; by
   * default the stem of a sealed name (`payment` for `payment_2026-01-02_18-55-02.log`).
   * A file already queued, or already uploaded with the same size, is not queued again.
   */
  async enqueue(path: string, event?: string): Promise<void> {
    if (this.#closing) throw new UploaderError('ERR_UPLOADER_CLOSED', 'uploader is closed')
    this.#persisting++
    try {
      await this.#ready
      const abs = resolve(path)
      const id = entryId(abs)
      if (this.#entries.has(id)) return
      const size = (await stat(abs)).size
      if (this.#store.isDone(abs, size)) return
      const sealed = parseSealedName(abs) ?? nameOfUnsealed(abs, new Date())
      const ev = event ?? sealed.stem
      const objectName = renderObjectName(this.options.objectPrefix, this.options.objectName, objectNameInput(abs, ev, sealed))
      const entry: QueueEntry = { id, path: abs, event: ev, objectName, size, queuedAt: Date.now(), status: 'pending', attempts: 0 }
      if (this.#entries.has(id)) return
      this.#entries.set(id, entry)
      this.#stats.totalFiles++
      this.#stats.pending++
      try {
        await this.#store.save(entry)
      } catch (err) {
        // Still queued in memory: the upload is attempted even if the state cannot be written.
        this.#report(err)
      }
      this.#queue.push(entry)
      this.#pump()
    } finally {
      this.#persisting--
      this.#maybeIdle()
    }
  }

  /**
   * Uploads every file `source` seals from now on (and, with scanExisting, sealed files already
   * in its directory that were never uploaded). Returns a function that detaches.
   */
  attach(source: Logger | LoggerManager): () => void {
    if (this.#closing) throw new UploaderError('ERR_UPLOADER_CLOSED', 'uploader is closed')
    const onError = (err: unknown): void => this.#report(err)
    let detach: () => void
    if (source instanceof LoggerManager) {
      detach = source.subscribeSealed((event, path) => {
        this.enqueue(path, event).catch(onError)
      })
      if (this.options.scanExisting) this.#scan(source.directory, (name) => parseSealedName(name)?.ext === '.log').catch(onError)
    } else if (source instanceof Logger) {
      const event = basename(source.path, extname(source.path))
      const listener = (path: string): void => {
        this.enqueue(path, event).catch(onError)
      }
      source.on('sealed', listener)
      detach = () => {
        source.off('sealed', listener)
      }
      if (this.options.scanExisting) this.#scan(resolve(source.path, '..'), (name) => isSealedSiblingOf(name, source.path), event).catch(onError)
    } else {
      throw new UploaderError('ERR_INVALID_ARG', 'attach() takes a Logger or a LoggerManager')
    }
    let attached = true
    const once = (): void => {
      if (!attached) return
      attached = false
      this.#detachers.delete(once)
      detach()
    }
    this.#detachers.add(once)
    return once
  }

  /** Queues sealed files of `dir` that are neither queued nor done. */
  async #scan(dir: string, accept: (name: string) => boolean, event?: string): Promise<void> {
    this.#persisting++
    try {
      await this.#ready
      for (const name of (await readdir(dir)).sort()) {
        if (this.#closing) return
        if (!accept(name)) continue
        await this.enqueue(join(dir, name), event).catch((err: unknown) => {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
        })
      }
    } finally {
      this.#persisting--
      this.#maybeIdle()
    }
  }

  /** Queues every failed file again. */
  async retryFailed(): Promise<void> {
    await this.#ready
    if (this.#closing) return
    for (const e of this.#entries.values()) {
      if (e.status !== 'failed') continue
      e.status = 'pending'
      this.#stats.failed--
      this.#stats.pending++
      await this.#store.save(e).catch((err: unknown) => this.#report(err))
      this.#queue.push(e)
    }
    this.#pump()
  }

  /** Files currently in the failed state. */
  failedFiles(): QueueEntry[] {
    return [...this.#entries.values()].filter((e) => e.status === 'failed').map((e) => ({ ...e }))
  }

  #pump(): void {
    while (!this.#closing && this.#active.size < this.options.parallelFiles && this.#queue.length > 0) {
      const entry = this.#queue.shift() as QueueEntry
      this.#active.add(entry.id)
      this.#process(entry)
        .catch((err: unknown) => this.#report(err))
        .finally(() => {
          this.#active.delete(entry.id)
          this.#pump()
          this.#maybeIdle()
        })
    }
  }

  /**
   * One upload of the file. Retries happen inside uploadFile, per request (the put, each part:
   * maxRetries retries each); a file that still fails is marked failed here and tried again by
   * retryFailed(), the retry interval or the next start (docs/delivery.md, "Retries").
   */
  async #process(entry: QueueEntry): Promise<void> {
    const signal = this.#abort.signal
    if (signal.aborted) return this.#requeue(entry)
    let chunkRetries = 0
    // Tries of the file's most-retried request: 1 when nothing was retried.
    let tries = 1
    let lastError: Error | undefined
    try {
      const r = await uploadFile(this.target, entry.path, entry.objectName, {
        chunkSize: this.options.chunkSize,
        concurrency: this.options.concurrency,
        retries: this.options.maxRetries,
        retryDelay: this.options.retryDelay,
        signal,
        onRetry: (_err, attempt) => {
          chunkRetries++
          tries = Math.max(tries, attempt + 1)
        },
      })
      entry.attempts += tries
      await this.#succeed(entry, { path: entry.path, event: entry.event, objectName: entry.objectName, size: r.size, method: r.method, parts: r.parts, attempts: tries, chunkRetries })
      return
    } catch (err) {
      if (signal.aborted) return this.#requeue(entry)
      entry.attempts += tries
      lastError = asError(err)
    }
    entry.status = 'failed'
    entry.lastError = lastError?.message
    this.#stats.pending--
    this.#stats.failed++
    await this.#store.save(entry).catch((err: unknown) => this.#report(err))
    this.emit('failed', { path: entry.path, event: entry.event, objectName: entry.objectName, error: lastError ?? new Error('upload failed'), attempts: entry.attempts })
  }

  /** Closing: the entry stays pending on disk for the next start. */
  #requeue(entry: QueueEntry): void {
    this.#queue.unshift(entry)
  }

  async #succeed(entry: QueueEntry, file: UploadedFile): Promise<void> {
    try {
      await this.#store.finish(entry)
    } catch (err) {
      this.#report(err) // uploaded anyway; at worst it is uploaded again after a restart
    }
    this.#entries.delete(entry.id)
    this.#stats.pending--
    this.#stats.successful++
    this.#stats.totalBytes += file.size
    if (this.options.deleteAfterUpload) {
      await unlink(entry.path).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.#report(err)
      })
    }
    this.emit('uploaded', file)
  }

  #idle(): boolean {
    return this.#persisting === 0 && this.#active.size === 0 && (this.#queue.length === 0 || this.#closing)
  }

  #maybeIdle(): void {
    if (!this.#idle()) return
    for (const w of this.#idleWaiters.splice(0)) w()
  }

  /**
   * Resolves when nothing is queued or uploading (failed files do not count: they wait for
   * retryFailed or the retry interval).
   */
  async drain(): Promise<void> {
    await this.#ready
    if (this.#idle()) return
    await new Promise<void>((r) => this.#idleWaiters.push(r))
  }

  /**
   * Detaches from every source, lets uploads in progress finish (up to `timeout` ms, then aborts
   * them), and releases the state directory. Queued files stay in the state for the next start.
   */
  async close(options: CloseOptions = {}): Promise<void> {
    const { timeout } = resolveCloseOptions(options)
    if (this.#closing) return
    this.#closing = true
    for (const d of [...this.#detachers]) d()
    clearInterval(this.#retryTimer)
    await this.#ready.catch(() => undefined)
    if (!this.#idle()) {
      let timer: NodeJS.Timeout | undefined
      const timedOut = new Promise<void>((r) => (timer = setTimeout(r, timeout)))
      await Promise.race([new Promise<void>((r) => this.#idleWaiters.push(r)), timedOut])
      clearTimeout(timer)
      if (!this.#idle()) {
        this.#abort.abort(new Error('uploader closed'))
        await new Promise<void>((r) => {
          if (this.#idle()) r()
          else this.#idleWaiters.push(r)
        })
      }
    }
    await this.#store.close().catch(() => undefined)
    if (this.#ownsTarget) await this.target.close().catch(() => undefined)
  }
}

/** Creates an uploader; its state directory is opened in the background (see ready()). */
export function createUploader(options: UploaderOptions): Uploader {
  return new Uploader(options)
}
