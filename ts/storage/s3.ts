/** Amazon S3 and S3-compatible stores (custom endpoint, path-style), multipart via lib-storage. */
import type { PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3'
import { once } from 'node:events'
import { createReadStream, promises as fsp } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { native } from '../native.js'
import type { FileDigest } from '../binding.cjs'
import { StorageError, isStorageError } from './errors.js'
import { type ByteSource, type ListItem, type ObjectMeta, ObjectStoreFileSystem } from './object-store.js'
import { writtenObject, type Sink, type WrittenObject } from './streams.js'
import { isTransient } from './transient.js'
import { s3MultipartStrategy } from './chunked-s3.js'
import { s3LibStorage, s3Sdk } from './sdk.js'
import type { Checksum, FileSystemCapabilities, LocalFileDigest, LocalWriteOptions } from './types.js'

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
  /** Use this client instead of building one. */
  client?: S3Client
}

/** S3's limit for one PUT. */
const SINGLE_PUT_MAX = 5 * 2 ** 30

/**
 * Sends the body unsigned (x-amz-content-sha256: UNSIGNED-PAYLOAD): its integrity is the
 * Content-MD5 the caller sets, which the store checks; a SigV4 payload hash too would be a second
 * full hash of the body on the JS thread (1 s per 512 MiB here).
 */
export function unsignedPayload(command: PutObjectCommand): PutObjectCommand
export function unsignedPayload(command: UploadPartCommand): UploadPartCommand
export function unsignedPayload(command: PutObjectCommand | UploadPartCommand): PutObjectCommand | UploadPartCommand {
  // (Both commands' stacks take the same build-step middleware; the SDK types them apart.)
  ;(command as PutObjectCommand).middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> }
      if (request.headers) request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD'
      return next(args)
    },
    { step: 'build', name: 'logferryUnsignedPayload' },
  )
  return command
}

/** What a PUT's (or a multipart Complete's) answer states about the stored bytes. */
function answeredBy(out: { ETag?: string; ServerSideEncryption?: string; SSECustomerAlgorithm?: string }): WrittenObject {
  const etag = out.ETag?.replace(/"/g, '')
  // A single-part object's ETag is the MD5 of its bytes, unless it is a multipart ETag
  // ("...-N") or the object is encrypted with KMS or a customer key (then it is opaque).
  const opaque = out.SSECustomerAlgorithm !== undefined || (out.ServerSideEncryption ?? '').startsWith('aws:kms')
  return etag !== undefined && !opaque && /^[0-9a-f]{32}$/i.test(etag) ? { etag, md5: etag.toLowerCase() } : { etag }
}

/**
 * A local file hashed with `kinds` on the libuv pool: read into memory when no larger than
 * `bufferMax`, else hashed where it lies (to be streamed after). Its failures are the local file's.
 */
async function readLocal(localPath: string, bufferMax: number, kinds: string[]): Promise<{ data?: Buffer; d: FileDigest }> {
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

  constructor(options: S3Options) {
    super(options.prefix)
    this.bucket = options.bucket
    this.partSize = Math.max(options.partSize ?? 8 << 20, 5 << 20)
    this.queueSize = options.queueSize ?? 2
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

  /**
   * A file of this machine as one PUT, with no stream per file: read into memory (up to
   * `partSize`, the memory one part of a stream write holds), hashed on the libuv pool (MD5 for the Content-MD5 the store checks, sha256
   * for the caller and the `sha256Metadata` stamp: one read of the file serves them all), sent
   * unsigned. Larger files are hashed first and streamed from the file (the store's MD5 of what it
   * received then tells a file that changed in between); beyond one PUT's limit, a multipart
   * stream write. The answer's MD5 (the ETag) comes back as `written`.
   */
  async writeLocalFile(localPath: string, path: string, options: LocalWriteOptions): Promise<LocalFileDigest> {
    await this.checkWriteTarget(path, options)
    const key = this.key(path)
    const kinds = [...new Set(['md5', ...options.checksums, ...(options.sha256Metadata !== undefined ? ['sha256'] : [])])]
    const { data, d } = await readLocal(localPath, this.partSize, kinds)
    const metadata = { ...options.metadata, ...(options.sha256Metadata !== undefined && d.sha256 ? { [options.sha256Metadata]: d.sha256 } : {}) }
    const Metadata = Object.keys(metadata).length > 0 ? metadata : undefined
    let written: WrittenObject
    if (data === undefined && d.bytes > SINGLE_PUT_MAX) {
      const writer = this.createWriteStream(path, { ...options, metadata: Metadata, knownAbsent: true })
      await pipeline(createReadStream(localPath), writer)
      written = writtenObject(writer) ?? {}
    } else {
      const command = new this.sdk.PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: data ?? createReadStream(localPath, { start: 0, end: Math.max(0, d.bytes - 1) }),
        ContentLength: d.bytes,
        ContentMD5: Buffer.from(d.md5 ?? '', 'hex').toString('base64'),
        ...(Metadata ? { Metadata } : {}),
      })
      written = answeredBy(await this.guarded(path, () => this.client.send(unsignedPayload(command))))
    }
    const out: LocalFileDigest = { bytes: d.bytes, written }
    if (d.sha256 !== undefined) out.sha256 = d.sha256
    if (d.md5 !== undefined) out.md5 = d.md5
    if (d.crc32c !== undefined) out.crc32c = d.crc32c
    return out
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

