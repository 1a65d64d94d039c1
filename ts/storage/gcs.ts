/** Google Cloud Storage with resumable uploads; honours STORAGE_EMULATOR_HOST / apiEndpoint. */
import type { Bucket, File, Storage } from '@google-cloud/storage'
import { once } from 'node:events'
import type { Writable } from 'node:stream'
import { StorageError, isStorageError } from './errors.js'
import { type ByteSource, type ListItem, type ObjectMeta, ObjectStoreFileSystem, mapLimit } from './object-store.js'
import { PartBuffer, type Sink, type WrittenObject } from './streams.js'
import { isTransient } from './transient.js'
import { gcsComposeStrategy } from './chunked-gcs.js'
import { gcsSdk } from './sdk.js'
import type { FileDigest } from '../binding.cjs'
import type { Checksum, FileSystemCapabilities } from './types.js'

/** Objects up to this size are uploaded in one request; longer ones by a resumable upload. */
const SINGLE_REQUEST_MAX = 8 << 20

export interface GcsOptions {
  bucket: string
  prefix?: string
  projectId?: string
  /** e.g. 'http://127.0.0.1:4443' for an emulator; default STORAGE_EMULATOR_HOST or Google. */
  apiEndpoint?: string
  /** Service-account key file; default GOOGLE_APPLICATION_CREDENTIALS / ADC. */
  keyFilename?: string
  credentials?: { client_email: string; private_key: string }
  /** Resumable uploads (default true). */
  resumable?: boolean
  /** Resumable chunk size in bytes (multiple of 256 KiB); unset streams one request. */
  chunkSize?: number
  /**
   * SDK retries per request (default 0: logferry's own retry helper is the one retry level;
   * a higher value multiplies the attempts of every request, see docs/delivery.md "Retries").
   */
  maxRetries?: number
  /**
   * Parallel composite uploads: when set, writes are cut into parts of this many bytes, uploaded
   * `compositeParallelism` at a time as hidden temporary objects and composed into the target
   * (in rounds of 32, GCS's compose limit). Off by default (one resumable upload).
   */
  compositePartSize?: number
  /** Parts in flight for composite uploads (default 4). Memory ~ partSize x (parallelism + 1). */
  compositeParallelism?: number
  /** Use this client instead of building one. */
  storage?: Storage
}

export class GcsFileSystem extends ObjectStoreFileSystem {
  readonly protocol = 'gs'
  readonly capabilities: FileSystemCapabilities = {
    // One request, a resumable upload's last chunk or a compose: all bytes visible at once.
    atomicPublish: 'atomic-write',
    rename: false,
    // md5Hash for uploaded objects, crc32c for every object (composite ones have only that).
    nativeChecksum: { kinds: ['md5', 'crc32c'], inStat: true },
    objectMetadata: true,
    rangedReads: true,
    parallelParts: gcsComposeStrategy(this),
  }
  readonly storage: Storage
  readonly bucket: Bucket
  private readonly resumable: boolean
  private readonly chunkSize: number | undefined
  private readonly compositePartSize: number | undefined
  private readonly compositeParallelism: number
  /** A local file of up to one request's size goes up from memory in one request. */
  protected readonly localBufferMax = SINGLE_REQUEST_MAX

  constructor(options: GcsOptions) {
    super(options.prefix)
    const endpoint = options.apiEndpoint ?? process.env.STORAGE_EMULATOR_HOST
    this.storage =
      options.storage ??
      new (gcsSdk().Storage)({
        projectId: options.projectId ?? process.env.GOOGLE_CLOUD_PROJECT ?? (endpoint ? 'emulator' : undefined),
        apiEndpoint: endpoint,
        keyFilename: options.keyFilename,
        credentials: options.credentials,
        retryOptions: {
          autoRetry: (options.maxRetries ?? 0) > 0,
          maxRetries: options.maxRetries ?? 0,
          retryDelayMultiplier: 2,
          maxRetryDelay: 4,
          totalTimeout: 120,
        },
      })
    this.bucket = this.storage.bucket(options.bucket)
    this.resumable = options.resumable ?? true
    this.chunkSize = options.chunkSize
    this.compositePartSize = options.compositePartSize
    this.compositeParallelism = Math.max(1, options.compositeParallelism ?? 4)
  }

  protected mapError(err: unknown, path: string): StorageError {
    if (isStorageError(err)) return err
    const e = err as { code?: number | string }
    const status = typeof e?.code === 'number' ? e.code : undefined
    const mk = (code: StorageError['code']): StorageError => this.error(code, path, err)
    if (status === 404) return mk('ENOENT')
    if (status === 401 || status === 403) return mk('EACCES')
    if (status === 412 || status === 409) return mk('EEXIST')
    if (isTransient(err)) return mk('ETRANSIENT')
    if (status === 400) return mk('EINVAL')
    return mk('EIO')
  }

  private meta(
    key: string,
    m: { size?: string | number; updated?: string; md5Hash?: string; crc32c?: string; etag?: string; metadata?: Record<string, unknown> | null },
  ): ObjectMeta {
    const user = m.metadata ? Object.fromEntries(Object.entries(m.metadata).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => [k, String(v)])) : undefined
    const out: ObjectMeta = {
      key,
      size: Number(m.size ?? 0),
      mtime: m.updated ? new Date(m.updated) : undefined,
      etag: m.md5Hash ?? m.etag,
      ...(user ? { metadata: user } : {}),
    }
    if (typeof m.md5Hash === 'string' && m.md5Hash !== '') out.md5 = Buffer.from(m.md5Hash, 'base64').toString('hex')
    if (typeof m.crc32c === 'string' && m.crc32c !== '') out.crc32c = Buffer.from(m.crc32c, 'base64').toString('hex')
    return out
  }

  protected async headObject(key: string): Promise<ObjectMeta | undefined> {
    try {
      const [m] = await this.bucket.file(key).getMetadata()
      return this.meta(key, m)
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined
      throw err
    }
  }

  protected async *listObjects(prefix: string, recursive: boolean, limit?: number): AsyncIterable<ListItem> {
    let pageToken: string | undefined
    do {
      const [files, next, resp] = await this.bucket.getFiles({
        prefix,
        delimiter: recursive ? undefined : '/',
        autoPaginate: false,
        maxResults: limit,
        pageToken,
      })
      const prefixes = (resp as { prefixes?: string[] } | undefined)?.prefixes ?? []
      for (const p of prefixes) yield { prefix: p }
      for (const f of files) yield this.meta(f.name, f.metadata)
      pageToken = limit === undefined ? (next as { pageToken?: string } | null)?.pageToken : undefined
    } while (pageToken)
  }

  protected async putEmpty(key: string): Promise<void> {
    await this.bucket.file(key).save(Buffer.alloc(0), { resumable: false, validation: false })
  }

  protected async deleteObject(key: string): Promise<void> {
    await this.bucket.file(key).delete()
  }

  protected async copyObject(fromKey: string, toKey: string): Promise<void> {
    await this.bucket.file(fromKey).copy(this.bucket.file(toKey))
  }

  protected async readObject(key: string, start?: number, end?: number): Promise<ByteSource> {
    const file: File = this.bucket.file(key)
    // Metadata first: a missing object fails here, before any byte is promised to the reader.
    const [m] = await file.getMetadata()
    if (start !== undefined && start >= Number(m.size ?? 0)) return (async function* () {})()
    const stream = file.createReadStream({ start, end, validation: false })
    return stream
  }

  /** A hidden sibling key for temporary objects (ignored by `ls`). */
  private tempKey(key: string, tag: string): string {
    const i = key.lastIndexOf('/')
    const rand = Math.random().toString(36).slice(2, 10)
    return `${key.slice(0, i + 1)}.${key.slice(i + 1)}.logferry-tmp-${process.pid}-${rand}-${tag}`
  }

  /** Composes objects (paths under this filesystem) into `target`, any number of them. */
  async compose(sources: string[], target: string): Promise<void> {
    if (sources.length === 0) throw this.error('EINVAL', target, undefined, 'nothing to compose')
    await this.checkWritable(target)
    await this.guarded(target, () => this.composeKeys(sources.map((p) => this.key(p)), this.key(target)))
  }

  private async composeKeys(keys: string[], target: string): Promise<void> {
    const temps: string[] = []
    try {
      let level = keys
      while (level.length > 32) {
        const next: string[] = []
        for (let i = 0; i < level.length; i += 32) {
          const t = this.tempKey(target, `c${temps.length}`)
          await this.bucket.combine(level.slice(i, i + 32), t)
          temps.push(t)
          next.push(t)
        }
        level = next
      }
      await this.bucket.combine(level, target)
    } finally {
      await mapLimit(temps, 8, (k) => this.bucket.file(k).delete().then(() => undefined, () => undefined))
    }
  }

  private async openCompositeSink(key: string, partSize: number, metadata?: Record<string, string>): Promise<Sink> {
    const buffer = new PartBuffer(partSize)
    const parts: string[] = []
    const inflight = new Set<Promise<void>>()
    let failure: unknown
    const send = async (data: Buffer): Promise<void> => {
      while (inflight.size >= this.compositeParallelism) await Promise.race(inflight)
      if (failure) throw failure
      const partKey = this.tempKey(key, `p${String(parts.length).padStart(5, '0')}`)
      parts.push(partKey)
      const p: Promise<void> = this.bucket
        .file(partKey)
        .save(data, { resumable: false, validation: false })
        .then(
          () => undefined,
          (err: unknown) => {
            failure = failure ?? err
          },
        )
        .finally(() => inflight.delete(p))
      inflight.add(p)
    }
    const cleanup = (): Promise<void> => mapLimit([...parts], 8, (k) => this.bucket.file(k).delete().then(() => undefined, () => undefined))
    return {
      write: async (chunk) => {
        for (const part of buffer.push(chunk)) await send(part)
      },
      close: async () => {
        const rest = buffer.drain()
        if (rest.length > 0 || parts.length === 0) await send(rest)
        await Promise.all(inflight)
        if (failure) throw failure
        try {
          await this.composeKeys(parts, key)
          if (metadata) await this.bucket.file(key).setMetadata({ metadata })
        } finally {
          await cleanup()
        }
      },
      abort: async () => {
        buffer.drain()
        await Promise.all(inflight)
        await cleanup()
      },
    }
  }

  /** One (non-resumable) upload request; its answer states the MD5 the store computed of what it stored. */
  protected async putObject(key: string, data: Buffer, _d: FileDigest, metadata?: Record<string, string>): Promise<WrittenObject> {
    const file = this.bucket.file(key)
    await file.save(data, {
      resumable: false,
      validation: false,
      contentType: 'application/octet-stream',
      ...(metadata ? { metadata: { metadata } } : {}),
    })
    const md5 = file.metadata?.md5Hash
    return typeof md5 === 'string' ? { md5: Buffer.from(md5, 'base64').toString('hex') } : {}
  }

  protected async openObjectSink(key: string, metadata?: Record<string, string>): Promise<Sink> {
    if (this.compositePartSize) return this.openCompositeSink(key, this.compositePartSize, metadata)
    // Up to SINGLE_REQUEST_MAX bytes are held back: an object that ends within them goes up in one
    // request (a resumable upload costs two at least); a longer one becomes a resumable upload.
    let held: Buffer[] | undefined = []
    let heldBytes = 0
    let resumable: Sink | undefined
    return {
      write: async (chunk) => {
        if (resumable) return resumable.write(chunk)
        held?.push(chunk)
        heldBytes += chunk.length
        if (heldBytes <= SINGLE_REQUEST_MAX) return
        resumable = this.openResumableSink(key, metadata)
        const chunks = held ?? []
        held = undefined
        for (const c of chunks) await resumable.write(c)
      },
      close: async () => {
        if (resumable) return resumable.close()
        const data = Buffer.concat(held ?? [], heldBytes)
        held = undefined
        return this.putObject(key, data, { bytes: data.length }, metadata)
      },
      abort: async () => {
        held = undefined
        await resumable?.abort()
      },
    }
  }

  private openResumableSink(key: string, metadata?: Record<string, string>): Sink {
    const out: Writable = this.bucket.file(key).createWriteStream({
      resumable: this.resumable,
      chunkSize: this.chunkSize,
      validation: false,
      contentType: 'application/octet-stream',
      ...(metadata ? { metadata: { metadata } } : {}),
    })
    let failure: unknown
    const finished = new Promise<void>((resolve, reject) => {
      out.once('finish', resolve)
      out.once('error', (err) => {
        failure = err
        reject(err)
      })
    })
    finished.catch(() => undefined)
    return {
      write: async (chunk) => {
        if (failure) throw failure
        if (!out.write(chunk)) await Promise.race([once(out, 'drain'), finished.then(() => Promise.reject(new Error('upload ended early')))])
      },
      close: async () => {
        if (failure) throw failure
        out.end()
        await finished
      },
      abort: async () => {
        out.destroy()
      },
    }
  }

  protected override async nativeChecksum(path: string): Promise<Checksum> {
    const [m] = await this.guarded(path, () => this.bucket.file(this.key(path)).getMetadata())
    if (m.crc32c) return { algorithm: 'crc32c', value: String(m.crc32c) }
    if (m.md5Hash) return { algorithm: 'md5-base64', value: String(m.md5Hash) }
    return this.checksum(path, 'md5')
  }
}
