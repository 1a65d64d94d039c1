/** Azure Blob Storage: block blobs written as staged blocks plus one commit. */
import type { BlobServiceClient, ContainerClient, StoragePipelineOptions } from '@azure/storage-blob'
import { randomBytes } from 'node:crypto'
import { StorageError, isStorageError } from './errors.js'
import { type ByteSource, type ListItem, type ObjectMeta, ObjectStoreFileSystem } from './object-store.js'
import { PartBuffer, type Sink, type WrittenObject } from './streams.js'
import { isTransient } from './transient.js'
import { azureBlocksStrategy } from './chunked-azure.js'
import { azureSdk } from './sdk.js'
import type { FileDigest } from '../binding.cjs'
import type { Checksum, FileSystemCapabilities } from './types.js'

export interface AzureOptions {
  container: string
  prefix?: string
  /** Default: AZURE_STORAGE_CONNECTION_STRING. */
  connectionString?: string
  /** Account name and key (shared-key auth); default AZURE_STORAGE_ACCOUNT / AZURE_STORAGE_KEY. */
  accountName?: string
  accountKey?: string
  /** A SAS token ('sv=...&sig=...') appended to the service URL. */
  sasToken?: string
  /** Blob service URL, e.g. 'http://127.0.0.1:10000/devstoreaccount1' for Azurite. */
  endpoint?: string
  /** Block size for staged uploads (default 8 MiB). */
  blockSize?: number
  /** Blocks staged at once by a write stream (default 4; memory ~ blockSize x (this + 1)). */
  blockParallelism?: number
  /**
   * SDK attempts per request (default 1: logferry's own retry helper is the one retry level;
   * a higher value multiplies the attempts of every request, see docs/delivery.md "Retries").
   */
  maxTries?: number
  /** Use this client instead of building one. */
  service?: BlobServiceClient
}

export class AzureBlobFileSystem extends ObjectStoreFileSystem {
  readonly protocol = 'az'
  readonly capabilities: FileSystemCapabilities
  readonly container: ContainerClient
  private readonly blockSize: number
  private readonly blockParallelism: number
  /** A local file of up to one block goes up from memory as one Put Blob (which states its MD5). */
  protected readonly localBufferMax: number

  constructor(options: AzureOptions) {
    super(options.prefix)
    this.blockSize = options.blockSize ?? 8 << 20
    this.localBufferMax = this.blockSize
    this.capabilities = {
      // One Put Blob, or the block list's commit: all bytes visible at once.
      atomicPublish: 'atomic-write',
      rename: false,
      // Content-MD5: set by the service for a single Put Blob (a stream write of up to one block),
      // absent after a block-list commit.
      nativeChecksum: { kinds: ['md5'], inStat: true, streamStatedMax: this.blockSize },
      objectMetadata: true,
      rangedReads: true,
      parallelParts: azureBlocksStrategy(this),
    }
    this.blockParallelism = Math.max(1, options.blockParallelism ?? 4)
    const pipeline: StoragePipelineOptions = {
      retryOptions: { maxTries: options.maxTries ?? 1, retryDelayInMs: 200, maxRetryDelayInMs: 2000, tryTimeoutInMs: 120_000 },
    }
    const conn = options.connectionString ?? (options.accountName || options.endpoint ? undefined : process.env.AZURE_STORAGE_CONNECTION_STRING)
    let service = options.service
    const { AnonymousCredential, BlobServiceClient, StorageSharedKeyCredential } = azureSdk()
    if (!service && conn) service = BlobServiceClient.fromConnectionString(conn, pipeline)
    if (!service) {
      const account = options.accountName ?? process.env.AZURE_STORAGE_ACCOUNT
      const key = options.accountKey ?? process.env.AZURE_STORAGE_KEY
      const base = options.endpoint ?? `https://${account ?? ''}.blob.core.windows.net`
      const url = options.sasToken ? `${base}?${options.sasToken.replace(/^\?/, '')}` : base
      const cred = account && key && !options.sasToken ? new StorageSharedKeyCredential(account, key) : new AnonymousCredential()
      service = new BlobServiceClient(url, cred, pipeline)
    }
    this.container = service.getContainerClient(options.container)
  }

  protected mapError(err: unknown, path: string): StorageError {
    if (isStorageError(err)) return err
    const e = err as { statusCode?: number; code?: string }
    const mk = (code: StorageError['code']): StorageError => this.error(code, path, err, [e?.statusCode, e?.code].filter(Boolean).join(' '))
    if (e?.statusCode === 404) return mk('ENOENT')
    if (e?.statusCode === 401 || e?.statusCode === 403) return mk('EACCES')
    if (e?.statusCode === 409 || e?.statusCode === 412) return mk('EEXIST')
    // The body did not match the (transactional) Content-MD5 sent with it (Azurite answers
    // InvalidOperation "Provided contentMD5 doesn't match").
    const message = (err as { message?: unknown } | null)?.message
    if (e?.code === 'Md5Mismatch' || (e?.statusCode === 400 && typeof message === 'string' && /contentMD5 doesn't match/i.test(message))) return mk('ECHECKSUM')
    if (isTransient(err)) return mk('ETRANSIENT')
    if (e?.statusCode === 400) return mk('EINVAL')
    return mk('EIO')
  }

  /** Options of a block-list commit carrying user metadata (Azure names). */
  commitOptions(metadata?: Record<string, string>): { metadata?: Record<string, string> } {
    return metadata ? { metadata: toAzureNames(metadata) } : {}
  }

  protected async headObject(key: string): Promise<ObjectMeta | undefined> {
    try {
      const p = await this.container.getBlockBlobClient(key).getProperties()
      const meta: ObjectMeta = { key, size: p.contentLength ?? 0, mtime: p.lastModified, etag: p.etag?.replace(/"/g, ''), metadata: fromAzureNames(p.metadata) }
      if (p.contentMD5 && p.contentMD5.length === 16) meta.md5 = Buffer.from(p.contentMD5).toString('hex')
      return meta
    } catch (err) {
      const e = err as { statusCode?: number; code?: string }
      if (e?.statusCode === 404 && e.code !== 'ContainerNotFound') return undefined
      throw err
    }
  }

  protected async *listObjects(prefix: string, recursive: boolean, limit?: number): AsyncIterable<ListItem> {
    const pages = recursive
      ? this.container.listBlobsFlat({ prefix }).byPage({ maxPageSize: limit ?? 5000 })
      : this.container.listBlobsByHierarchy('/', { prefix }).byPage({ maxPageSize: limit ?? 5000 })
    for await (const page of pages) {
      const seg = page.segment as {
        blobItems: { name: string; properties: { contentLength?: number; lastModified?: Date; etag?: string } }[]
        blobPrefixes?: { name: string }[]
      }
      for (const p of seg.blobPrefixes ?? []) yield { prefix: p.name }
      for (const b of seg.blobItems) {
        yield { key: b.name, size: b.properties.contentLength ?? 0, mtime: b.properties.lastModified, etag: b.properties.etag?.replace(/"/g, '') }
      }
      if (limit !== undefined) return
    }
  }

  protected async putEmpty(key: string): Promise<void> {
    await this.container.getBlockBlobClient(key).upload(Buffer.alloc(0), 0)
  }

  protected async deleteObject(key: string): Promise<void> {
    await this.container.getBlockBlobClient(key).delete()
  }

  protected async copyObject(fromKey: string, toKey: string): Promise<void> {
    const src = this.container.getBlockBlobClient(fromKey)
    const poller = await this.container.getBlockBlobClient(toKey).beginCopyFromURL(src.url)
    await poller.pollUntilDone()
  }

  protected async readObject(key: string, start?: number, end?: number): Promise<ByteSource> {
    const blob = this.container.getBlockBlobClient(key)
    const offset = start ?? 0
    const count = end !== undefined ? end - offset + 1 : undefined
    try {
      const r = await blob.download(offset, count)
      return (r.readableStreamBody as NodeJS.ReadableStream & ByteSource | undefined) ?? (async function* () {})()
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 416) return (async function* () {})()
      throw err
    }
  }

  /** One Put Blob: its answer states the MD5 the service computed of what it stored. */
  protected async putObject(key: string, data: Buffer, _d: FileDigest, metadata?: Record<string, string>): Promise<WrittenObject> {
    const r = await this.container.getBlockBlobClient(key).upload(data, data.length, metadata ? { metadata: toAzureNames(metadata) } : {})
    const etag = r.etag?.replace(/"/g, '')
    return r.contentMD5 ? { etag, md5: Buffer.from(r.contentMD5).toString('hex') } : { etag }
  }

  protected async openObjectSink(key: string, metadata?: Record<string, string>): Promise<Sink> {
    const blob = this.container.getBlockBlobClient(key)
    const opts = metadata ? { metadata: toAzureNames(metadata) } : {}
    const parts = new PartBuffer(this.blockSize)
    const uploadId = randomBytes(8).toString('hex')
    const ids: string[] = []
    // Up to `blockParallelism` blocks are staged at once (memory ~ blockSize x (parallelism + 1));
    // the first failure fails the write.
    const inflight = new Set<Promise<void>>()
    let failure: unknown
    const stage = async (part: Buffer): Promise<void> => {
      while (inflight.size >= this.blockParallelism) await Promise.race(inflight)
      if (failure !== undefined) throw failure
      const id = Buffer.from(`${uploadId}-${String(ids.length).padStart(8, '0')}`).toString('base64')
      ids.push(id)
      const p: Promise<void> = blob.stageBlock(id, part, part.length).then(
        () => undefined,
        (err: unknown) => {
          failure ??= err
        },
      )
      inflight.add(p)
      void p.finally(() => inflight.delete(p))
    }
    const settle = async (): Promise<void> => {
      await Promise.all(inflight)
      if (failure !== undefined) throw failure
    }
    return {
      write: async (chunk) => {
        for (const part of parts.push(chunk)) await stage(part)
      },
      close: async () => {
        const rest = parts.drain()
        if (ids.length === 0) return this.putObject(key, rest, { bytes: rest.length }, metadata)
        if (rest.length > 0) await stage(rest)
        await settle()
        await blob.commitBlockList(ids, opts)
      },
      abort: async () => {
        // Staged blocks that are never committed are invisible and garbage-collected by the service.
        parts.drain()
        await Promise.all(inflight)
      },
    }
  }

  protected override async nativeChecksum(path: string): Promise<Checksum> {
    const p = await this.guarded(path, () => this.container.getBlockBlobClient(this.key(path)).getProperties())
    if (p.contentMD5) return { algorithm: 'md5-base64', value: Buffer.from(p.contentMD5).toString('base64') }
    return this.checksum(path, 'md5')
  }
}

/** Azure metadata names are C# identifiers: '-' in a name is stored as '_' and read back as '-'. */
function toAzureNames(m: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k.replace(/-/g, '_'), v]))
}

function fromAzureNames(m: Record<string, string> | undefined): Record<string, string> | undefined {
  return m && Object.fromEntries(Object.entries(m).map(([k, v]) => [k.replace(/_/g, '-'), v]))
}
