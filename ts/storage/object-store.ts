/**
 * Directory semantics over flat object stores (S3, GCS, Azure Blob). Directories are key
 * prefixes; `mkdir` leaves a zero-byte `dir/` marker so empty directories exist. Objects are
 * only visible once their upload completes, so a failed write publishes nothing.
 */
import { createReadStream as localReadStream, promises as fsp } from 'node:fs'
import type { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { FileDigest } from '../binding.cjs'
import { native } from '../native.js'
import { BaseFileSystem } from './base.js'
import { StorageError } from './errors.js'
import { dirnamePath, isTempName, joinPath, normalizePath } from './path.js'
import { type ByteSource, lazyReadable, sinkWritable, writtenObject, type Sink, type WrittenObject } from './streams.js'
import type { FileInfo, LocalFileDigest, LocalWriteOptions, LsOptions, MkdirOptions, ReadStreamOptions, RmOptions, WriteOptions } from './types.js'

export interface ObjectMeta {
  key: string
  size: number
  mtime?: Date
  etag?: string
  /** User metadata (from headObject only). */
  metadata?: Record<string, string>
  /** Checksums the store states (from headObject only): see FileInfo. */
  md5?: string
  md5OfParts?: string
  crc32c?: string
}

export type ListItem = ObjectMeta | { prefix: string }

export type { ByteSource } from './streams.js'

export abstract class ObjectStoreFileSystem extends BaseFileSystem {
  /** Key prefix every path lives under ('' for the bucket root). */
  protected readonly prefix: string

  constructor(prefix: string | undefined) {
    super()
    this.prefix = normalizePath(prefix ?? '')
  }

  protected abstract headObject(key: string): Promise<ObjectMeta | undefined>
  /**
   * Lists keys under `prefix` (including a `prefix` marker object itself); with `recursive`
   * false, deeper levels come back as `{prefix}`.
   */
  protected abstract listObjects(prefix: string, recursive: boolean, limit?: number): AsyncIterable<ListItem>
  protected abstract putEmpty(key: string): Promise<void>
  protected abstract deleteObject(key: string): Promise<void>
  protected abstract copyObject(fromKey: string, toKey: string): Promise<void>
  /** Bytes [start, end] (inclusive) of an object; a start past the end gives no bytes. */
  protected abstract readObject(key: string, start?: number, end?: number): Promise<ByteSource>
  protected abstract openObjectSink(key: string, metadata?: Record<string, string>): Promise<Sink>
  /** Backend error to StorageError. */
  protected abstract mapError(err: unknown, path: string): StorageError
  /**
   * One request storing `data` (hashed in `d`, MD5 included) under `key`: the store's answer,
   * which states the MD5 of what it stored where the backend's does.
   */
  protected abstract putObject(key: string, data: Buffer, d: FileDigest, metadata?: Record<string, string>): Promise<WrittenObject>
  /** Largest local file writeLocalFile holds in memory for its one putObject (the backend's one-request size). */
  protected abstract readonly localBufferMax: number

  protected key(path: string): string {
    return joinPath(this.prefix, normalizePath(path))
  }

  /** The object key a path maps to (chunked uploads drive the backend's client directly). */
  objectKey(path: string): string {
    return this.key(path)
  }

  /** A backend failure as a StorageError (ETRANSIENT when the call may be retried). */
  toStorageError(err: unknown, path: string): StorageError {
    return this.mapError(err, path)
  }

  private dirPrefix(path: string): string {
    const k = this.key(path)
    return k === '' ? '' : `${k}/`
  }

  private pathOf(key: string): string {
    return normalizePath(this.prefix === '' ? key : key.slice(this.prefix.length + 1))
  }

  protected async guarded<T>(path: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      throw this.mapError(err, path)
    }
  }

  async stat(path: string): Promise<FileInfo> {
    const p = normalizePath(path)
    if (p === '') return this.info('', 'directory', 0)
    return this.guarded(path, async () => {
      const meta = await this.headObject(this.key(p))
      if (meta) {
        const info = this.info(p, 'file', meta.size, meta.mtime, meta.etag)
        if (meta.md5 !== undefined) info.md5 = meta.md5
        if (meta.md5OfParts !== undefined) info.md5OfParts = meta.md5OfParts
        if (meta.crc32c !== undefined) info.crc32c = meta.crc32c
        return meta.metadata && Object.keys(meta.metadata).length > 0 ? { ...info, metadata: meta.metadata } : info
      }
      for await (const _ of this.listObjects(this.dirPrefix(p), true, 1)) return this.info(p, 'directory', 0)
      throw this.error('ENOENT', path)
    })
  }

  async ls(path: string, options?: LsOptions): Promise<FileInfo[]> {
    const info = await this.stat(path)
    if (info.kind !== 'directory') throw this.error('ENOTDIR', path)
    const base = this.dirPrefix(path)
    const seen = new Map<string, FileInfo>()
    const addDir = (p: string): void => {
      if (p !== '' && p !== info.path && !seen.has(p)) seen.set(p, this.info(p, 'directory', 0))
    }
    await this.guarded(path, async () => {
      for await (const item of this.listObjects(base, options?.recursive ?? false)) {
        if ('prefix' in item) {
          addDir(this.pathOf(item.prefix.replace(/\/$/, '')))
          continue
        }
        const p = this.pathOf(item.key.replace(/\/$/, ''))
        if (isTempName(p)) continue
        if (item.key.endsWith('/')) addDir(p)
        else seen.set(p, this.info(p, 'file', item.size, item.mtime, item.etag))
        if (options?.recursive) {
          for (let d = dirnamePath(p); d !== '' && d !== info.path && d.length > info.path.length; d = dirnamePath(d)) addDir(d)
        }
      }
    })
    return [...seen.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  }


  async mkdir(path: string, options?: MkdirOptions): Promise<void> {
    const target = await this.mkdirTarget(path, options)
    // A missing parent needs no marker of its own: a key below it makes it a directory.
    if (target) await this.guarded(path, () => this.putEmpty(`${this.key(target.path)}/`))
  }

  private async keysUnder(path: string): Promise<string[]> {
    const keys: string[] = []
    for await (const item of this.listObjects(this.dirPrefix(path), true)) if (!('prefix' in item)) keys.push(item.key)
    return keys
  }

  async rm(path: string, options?: RmOptions): Promise<void> {
    const info = await this.stat(path)
    await this.guarded(path, async () => {
      if (info.kind === 'file') return this.deleteObject(this.key(path))
      const keys = await this.keysUnder(path)
      const own = this.dirPrefix(path)
      if (!options?.recursive && keys.some((k) => k !== own)) throw this.error('ENOTEMPTY', path)
      await mapLimit(keys, 8, (k) => this.deleteObject(k))
    })
  }

  override async cp(from: string, to: string): Promise<void> {
    const info = await this.stat(from)
    if (info.kind === 'file') {
      await this.checkWritable(to)
      return this.guarded(from, () => this.copyObject(this.key(from), this.key(to)))
    }
    const src = this.dirPrefix(from)
    const dst = this.dirPrefix(to)
    await this.guarded(from, async () => {
      const keys = await this.keysUnder(from)
      await mapLimit(keys, 8, (k) => this.copyObject(k, dst + k.slice(src.length)))
    })
  }

  createReadStream(path: string, options?: ReadStreamOptions): Readable {
    return lazyReadable(
      async () => {
        this.checkRange(path, options)
        try {
          return await this.readObject(this.key(path), options?.start, options?.end)
        } catch (err) {
          const mapped = this.mapError(err, path)
          if (mapped.code === 'ENOENT' && (await this.kind(path)) === 'directory') throw this.error('EISDIR', path)
          throw mapped
        }
      },
      (err) => this.mapError(err, path),
    )
  }

  /** A write to `path` may go ahead (overwrite policy, not a directory, parent not a file) unless `knownAbsent`. */
  protected async checkWriteTarget(path: string, options?: WriteOptions): Promise<void> {
    if (options?.knownAbsent) return
    await this.checkWritable(path, options)
    const parent = dirnamePath(normalizePath(path))
    if (parent !== '' && (await this.kind(parent)) === 'file') throw this.error('ENOTDIR', parent)
  }

  /**
   * A file of this machine as one request, with no stream per file: read into memory (up to
   * localBufferMax), hashed on the libuv pool (MD5, the caller's checksums, the sha256 of the
   * `sha256Metadata` stamp: one read of the file serves them all) and put. A larger file is
   * hashed where it lies, then streamed (putLocalFile; the store's MD5 of what it received then
   * tells a file that changed in between). The store's answer comes back as `written`.
   */
  async writeLocalFile(localPath: string, path: string, options: LocalWriteOptions): Promise<LocalFileDigest> {
    await this.checkWriteTarget(path, options)
    const kinds = [...new Set(['md5', ...options.checksums, ...(options.sha256Metadata !== undefined ? ['sha256'] : [])])]
    const { data, d } = await readLocal(localPath, this.localBufferMax, kinds)
    const stamp = options.sha256Metadata !== undefined && d.sha256 ? { [options.sha256Metadata]: d.sha256 } : {}
    const merged = { ...options.metadata, ...stamp }
    const metadata = Object.keys(merged).length > 0 ? merged : undefined
    const written =
      data !== undefined ? await this.guarded(path, () => this.putObject(this.key(path), data, d, metadata)) : await this.putLocalFile(localPath, path, d, metadata, options)
    const out: LocalFileDigest = { bytes: d.bytes, written }
    if (d.sha256 !== undefined) out.sha256 = d.sha256
    if (d.md5 !== undefined) out.md5 = d.md5
    if (d.crc32c !== undefined) out.crc32c = d.crc32c
    return out
  }

  /** writeLocalFile of a file larger than localBufferMax (already hashed in `d`): a stream write. */
  protected async putLocalFile(localPath: string, path: string, _d: FileDigest, metadata: Record<string, string> | undefined, options: WriteOptions): Promise<WrittenObject> {
    const writer = this.createWriteStream(path, { ...options, metadata, knownAbsent: true })
    await pipeline(localReadStream(localPath), writer)
    return writtenObject(writer) ?? {}
  }

  createWriteStream(path: string, options?: WriteOptions): Writable {
    return sinkWritable(
      async () => {
        await this.checkWriteTarget(path, options)
        return this.guarded(path, () => this.openObjectSink(this.key(path), options?.metadata))
      },
      (err) => this.mapError(err, path),
    )
  }
}

/** Runs `fn` over items with at most `limit` in flight. */
export async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0
  const worker = async (): Promise<void> => {
    while (i < items.length) {
      const item = items[i++] as T
      await fn(item)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

/**
 * A local file hashed with `kinds` on the libuv pool: read into memory when no larger than
 * `bufferMax`, else hashed where it lies (to be streamed after). Its failures are the local file's.
 */
export async function readLocal(localPath: string, bufferMax: number, kinds: string[]): Promise<{ data?: Buffer; d: FileDigest }> {
  try {
    const handle = await fsp.open(localPath, 'r')
    try {
      const size = (await handle.stat()).size
      if (size > bufferMax) return { d: await native.hashFile(localPath, kinds) }
      const data = await handle.readFile()
      return { data, d: await native.hashBuffer(data, kinds) }
    } finally {
      await handle.close()
    }
  } catch (err) {
    const errno = (err as { code?: string }).code ?? /^(E[A-Z]+): /.exec((err as Error | null)?.message ?? '')?.[1]
    const code = errno === 'ENOENT' || errno === 'EACCES' || errno === 'EISDIR' ? errno : 'EIO'
    throw new StorageError(code, { backend: 'file', path: localPath, cause: err })
  }
}
