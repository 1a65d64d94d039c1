/** Amazon S3 and S3-compatible stores (custom endpoint, path-style), multipart via lib-storage. */
import type { S3Client } from '@aws-sdk/client-s3'
import { once } from 'node:events'
import { createReadStream } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, type Readable } from 'node:stream'
import { StorageError, isStorageError } from './errors.js'
import { type ByteSource, type ListItem, type ObjectMeta, ObjectStoreFileSystem } from './object-store.js'
import type { Sink, WrittenObject } from './streams.js'
import { isTransient } from './transient.js'
import { s3MultipartStrategy } from './chunked-s3.js'
import { s3LibStorage, s3Sdk } from './sdk.js'
import type { FileDigest } from '../binding.cjs'
import type { Checksum, FileSystemCapabilities, WriteOptions } from './types.js'

export interface S3Options {
  bucket: string
  /** Key prefix the filesystem is rooted at. */
  prefix?: string
  /** Default: AWS_REGION, AWS_DEFAULT_REGION, then 'us-east-1'. */
  region?: string
  /** For S3-compatible stores, e.g. 'http://127.0.0.1:9000'. */
  endpoint?: string
  /** Path-style addressing (default true when `endpoint` is set). */
  forcePathStyle?: boolean
  /** Static credentials; default is the SDK chain (AWS_ACCESS_KEY_ID, profiles, ...). */
  accessKeyId?: string
  secretAccessKey?: string
  sessionToken?: string
  /**
   * Multipart part size in bytes (default 8 MiB, minimum 5 MiB); also the largest local file
   * `writeLocalFile` holds in memory for its one PUT.
   */
  partSize?: number
  /** Parts uploaded concurrently per stream (default 2). Memory ~ partSize x (queueSize + 1). */
  queueSize?: number
  /**
   * SDK attempts per request (default 1: logferry's own retry helper is the one retry level;
   * a higher value multiplies the attempts of every request, see docs/delivery.md "Retries").
   */
  maxAttempts?: number
  /**
   * Use this client instead of building one. It gets the client-wide rule that sends a body
   * carrying its Content-MD5 unsigned (sendMd5BodiesUnsigned; the store checks that MD5).
   */
  client?: S3Client
}

/** S3's limit for one PUT. */
const SINGLE_PUT_MAX = 5 * 2 ** 30

/** The name of the client middleware that sends a body carrying its Content-MD5 unsigned. */
const UNSIGNED_MD5_BODIES = 'logferryUnsignedMd5Bodies'

/**
 * Sends a body that carries its Content-MD5 (PutObject, UploadPart) unsigned
 * (x-amz-content-sha256: UNSIGNED-PAYLOAD): its integrity is that MD5, which the store checks; a
 * SigV4 payload hash too would be a second full hash of the body on the JS thread (1 s per
 * 512 MiB here). A client-wide rule on the command's input, not a middleware per command, so
 * that the client can resolve each command's middleware once (cacheMiddleware).
 */
export function sendMd5BodiesUnsigned(client: S3Client): void {
  if (client.middlewareStack.identify().some((m) => m.startsWith(`${UNSIGNED_MD5_BODIES} `))) return
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { ContentMD5?: string; Body?: unknown }
      const request = args.request as { headers?: Record<string, string> }
      if (input.ContentMD5 !== undefined && input.Body !== undefined && request.headers) request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD'
      return next(args)
    },
    { step: 'build', name: UNSIGNED_MD5_BODIES },
  )
}

/** What a PUT's (or a multipart Complete's) answer states about the stored bytes. */
function answeredBy(out: { ETag?: string; ServerSideEncryption?: string; SSECustomerAlgorithm?: string }): WrittenObject {
  const etag = out.ETag?.replace(/"/g, '')
  // A single-part object's ETag is the MD5 of its bytes, unless it is a multipart ETag
  // ("...-N") or the object is encrypted with KMS or a customer key (then it is opaque).
  const opaque = out.SSECustomerAlgorithm !== undefined || (out.ServerSideEncryption ?? '').startsWith('aws:kms')
  return etag !== undefined && !opaque && /^[0-9a-f]{32}$/i.test(etag) ? { etag, md5: etag.toLowerCase() } : { etag }
}

const NOT_FOUND = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket', 'NoSuchUpload'])
const DENIED = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AllAccessDisabled', 'Forbidden', 'InvalidToken', 'ExpiredToken'])

export class S3FileSystem extends ObjectStoreFileSystem {
  readonly protocol = 's3'
  readonly capabilities: FileSystemCapabilities
  readonly bucket: string
  readonly client: S3Client
  /** The SDK, loaded by the first S3 filesystem built (sdk.ts). */
  private readonly sdk = s3Sdk()
  private readonly partSize: number
  private readonly queueSize: number
  /** A local file of up to one part goes as one PUT from memory (the memory a stream write's part holds). */
  protected readonly localBufferMax: number

  constructor(options: S3Options) {
    super(options.prefix)
    this.bucket = options.bucket
    this.partSize = Math.max(options.partSize ?? 8 << 20, 5 << 20)
    this.queueSize = options.queueSize ?? 2
    this.localBufferMax = this.partSize
    this.capabilities = {
      // One PUT, or a multipart upload's Complete: all bytes become visible at once.
      atomicPublish: 'atomic-write',
      rename: false,
      // A single-part object's ETag is its MD5; a multipart one's the MD5 of the part MD5s (HEAD).
      nativeChecksum: { kinds: ['md5', 'md5-of-parts'], inStat: true, streamPartSize: this.partSize },
      objectMetadata: true,
      rangedReads: true,
      parallelParts: s3MultipartStrategy(this),
    }
    const custom = options.endpoint !== undefined
    this.client =
      options.client ??
      new this.sdk.S3Client({
        // Each command's middleware stack resolved once per command class, not on every send
        // (~0.1 ms of CPU per request here, a quarter of the SDK's own cost of a small PUT).
        cacheMiddleware: true,
        region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
        endpoint: options.endpoint,
        forcePathStyle: options.forcePathStyle ?? custom,
        maxAttempts: options.maxAttempts ?? 1,
        // Every body logferry sends carries its Content-MD5 (checked by the store): the SDK's
        // default CRC32 of each body would be a second checksum of every byte on the JS thread.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        ...(custom ? { responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
        ...(options.accessKeyId && options.secretAccessKey
          ? {
              credentials: {
                accessKeyId: options.accessKeyId,
                secretAccessKey: options.secretAccessKey,
                sessionToken: options.sessionToken,
              },
            }
          : {}),
      })
    sendMd5BodiesUnsigned(this.client)
  }

  protected mapError(err: unknown, path: string): StorageError {
    if (isStorageError(err)) return err
    const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } }
    const name = e?.name ?? e?.Code ?? ''
    const status = e?.$metadata?.httpStatusCode
    const mk = (code: StorageError['code']): StorageError => this.error(code, path, err)
    if (NOT_FOUND.has(name) || status === 404) return mk('ENOENT')
    if (DENIED.has(name) || status === 403 || status === 401) return mk('EACCES')
    if (name === 'PreconditionFailed' || status === 412) return mk('EEXIST')
    // The body did not match the Content-MD5 sent with it.
    if (name === 'BadDigest' || name === 'InvalidDigest') return mk('ECHECKSUM')
    if (isTransient(err)) return mk('ETRANSIENT')
    if (status === 400) return mk('EINVAL')
    return mk('EIO')
  }

  protected async headObject(key: string): Promise<ObjectMeta | undefined> {
    try {
      const r = await this.client.send(new this.sdk.HeadObjectCommand({ Bucket: this.bucket, Key: key }))
      const etag = r.ETag?.replace(/"/g, '')
      const meta: ObjectMeta = { key, size: r.ContentLength ?? 0, mtime: r.LastModified, etag, metadata: r.Metadata }
      // The ETag of an object encrypted with KMS or a customer key is opaque.
      const opaque = r.SSECustomerAlgorithm !== undefined || (r.ServerSideEncryption ?? '').startsWith('aws:kms')
      if (etag !== undefined && !opaque) {
        if (/^[0-9a-f]{32}$/i.test(etag)) meta.md5 = etag.toLowerCase()
        else if (/^[0-9a-f]{32}-\d+$/i.test(etag)) meta.md5OfParts = etag.toLowerCase()
      }
      return meta
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } }
      if (e?.$metadata?.httpStatusCode === 404 || e?.name === 'NotFound') {
        if (e.name === 'NoSuchBucket') throw err
        return undefined
      }
      throw err
    }
  }

  protected async *listObjects(prefix: string, recursive: boolean, limit?: number): AsyncIterable<ListItem> {
    let token: string | undefined
    do {
      const r = await this.client.send(
        new this.sdk.ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          Delimiter: recursive ? undefined : '/',
          ContinuationToken: token,
          MaxKeys: limit,
        }),
      )
      for (const cp of r.CommonPrefixes ?? []) if (cp.Prefix) yield { prefix: cp.Prefix }
      for (const o of r.Contents ?? []) {
        if (o.Key === undefined) continue
        yield { key: o.Key, size: o.Size ?? 0, mtime: o.LastModified, etag: o.ETag?.replace(/"/g, '') }
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined
    } while (token)
  }

  protected async putEmpty(key: string): Promise<void> {
    await this.client.send(new this.sdk.PutObjectCommand({ Bucket: this.bucket, Key: key, Body: Buffer.alloc(0), ContentLength: 0 }))
  }

  protected async deleteObject(key: string): Promise<void> {
    await this.client.send(new this.sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: key }))
  }

  protected async copyObject(fromKey: string, toKey: string): Promise<void> {
    const source = `${this.bucket}/${fromKey.split('/').map(encodeURIComponent).join('/')}`
    await this.client.send(new this.sdk.CopyObjectCommand({ Bucket: this.bucket, Key: toKey, CopySource: source }))
  }

  protected async readObject(key: string, start?: number, end?: number): Promise<ByteSource> {
    const range = start !== undefined || end !== undefined ? `bytes=${start ?? 0}-${end ?? ''}` : undefined
    try {
      const r = await this.client.send(new this.sdk.GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range }))
      return r.Body as Readable
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } }
      if (e?.$metadata?.httpStatusCode === 416 || e?.name === 'InvalidRange') return (async function* () {})()
      throw err
    }
  }

  protected async openObjectSink(key: string, metadata?: Record<string, string>): Promise<Sink> {
    const body = new PassThrough({ highWaterMark: 1 << 20 })
    const upload = new (s3LibStorage().Upload)({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: body, ...(metadata ? { Metadata: metadata } : {}) },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    })
    let failure: unknown
    const done = upload.done().then(
      (r): WrittenObject => answeredBy(r as Parameters<typeof answeredBy>[0]),
      (err: unknown) => {
        failure = err
        body.destroy()
        throw err
      },
    )
    done.catch(() => undefined)
    return {
      write: async (chunk) => {
        if (failure) throw failure
        if (!body.write(chunk)) {
          await Promise.race([once(body, 'drain'), done.then(() => Promise.reject(new Error('upload ended early')))])
        }
      },
      close: async () => {
        if (failure) throw failure
        body.end()
        return await done
      },
      abort: async () => {
        body.destroy()
        await upload.abort().catch(() => undefined)
      },
    }
  }

  /** One PUT, sent unsigned with its Content-MD5 (which the store checks); its ETag states the MD5. */
  protected async putObject(key: string, data: Buffer | Readable, d: FileDigest, metadata?: Record<string, string>): Promise<WrittenObject> {
    const command = new this.sdk.PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      Body: data,
      ContentLength: d.bytes,
      ContentMD5: Buffer.from(d.md5 ?? '', 'hex').toString('base64'),
      ...(metadata ? { Metadata: metadata } : {}),
    })
    return answeredBy(await this.client.send(command))
  }

  /** A local file larger than a part, up to one PUT's limit: one PUT streamed from the file; beyond it, a multipart stream write. */
  protected override async putLocalFile(localPath: string, path: string, d: FileDigest, metadata: Record<string, string> | undefined, options: WriteOptions): Promise<WrittenObject> {
    if (d.bytes > SINGLE_PUT_MAX) return super.putLocalFile(localPath, path, d, metadata, options)
    const body = createReadStream(localPath, { start: 0, end: Math.max(0, d.bytes - 1) })
    return this.guarded(path, () => this.putObject(this.key(path), body, d, metadata))
  }

  /** Asks the SDK's credential chain (static options, environment, profiles, web identity, container, instance metadata). */
  async missingCredentials(): Promise<string | undefined> {
    try {
      await this.client.config.credentials()
      return undefined
    } catch {
      const home = homedir()
      const credentials = process.env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, '.aws', 'credentials')
      const config = process.env.AWS_CONFIG_FILE ?? join(home, '.aws', 'config')
      return (
        `no AWS credentials for s3://${this.bucket}: looked for accessKeyId/secretAccessKey (key/secret in the URL), ` +
        `AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, profile '${process.env.AWS_PROFILE ?? 'default'}' (AWS_PROFILE) in ${credentials} and ${config}, ` +
        'AWS_WEB_IDENTITY_TOKEN_FILE, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI and the EC2 instance metadata service'
      )
    }
  }

  protected override async nativeChecksum(path: string): Promise<Checksum> {
    const info = await this.stat(path)
    if (info.kind === 'directory' || info.etag === undefined) throw this.error('EISDIR', path)
    return { algorithm: 's3-etag', value: info.etag }
  }

  override async close(): Promise<void> {
    this.client.destroy()
  }
}

