/**
 * S3 multipart upload: CreateMultipartUpload, parallel UploadPart (Content-MD5 of the caller's
 * bytes, and the part's ETag checked against it), Complete (its ETag, the MD5 of the part MD5s,
 * is returned for the whole-object check) or Abort.
 */
import { createHash } from 'node:crypto'
import type { BeginOptions, ChunkedUploadSession, ChunkedUploadStrategy } from './chunked-strategy.js'
import { StorageError } from './errors.js'
import type { S3FileSystem } from './s3.js'
import { s3Sdk } from './sdk.js'

const unquote = (etag: string | undefined): string => (etag ?? '').replace(/"/g, '')

export function s3MultipartStrategy(fs: S3FileSystem): ChunkedUploadStrategy {
  return {
    name: 's3-multipart',
    minPartSize: 5 << 20,
    maxParts: 10_000,
    async begin(remotePath: string, _size: number, options?: BeginOptions): Promise<ChunkedUploadSession> {
      const { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, UploadPartCommand } = s3Sdk()
      const Key = fs.objectKey(remotePath)
      const Bucket = fs.bucket
      const guard = async <T>(f: () => Promise<T>): Promise<T> => {
        try {
          return await f()
        } catch (err) {
          throw fs.toStorageError(err, remotePath)
        }
      }
      const Metadata = options?.metadata
      const created = await guard(() => fs.client.send(new CreateMultipartUploadCommand({ Bucket, Key, ...(Metadata ? { Metadata } : {}) })))
      const UploadId = created.UploadId
      if (!UploadId) throw new StorageError('EIO', { backend: 's3', path: remotePath, detail: 'CreateMultipartUpload returned no UploadId' })
      const etags: string[] = []
      return {
        async uploadPart(index, data, sums) {
          // The caller's MD5 of the bytes it read: S3 refuses a body that does not match it (BadDigest).
          const md5 = sums?.md5 ?? createHash('md5').update(data).digest()
          const command = new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: index + 1, Body: data, ContentLength: data.length, ContentMD5: md5.toString('base64') })
          const r = await guard(() => fs.client.send(command))
          const etag = unquote(r.ETag)
          // S3 answers a plain part's MD5 as its ETag; anything else means the bytes differ.
          if (etag !== md5.toString('hex')) {
            throw new StorageError('ECHECKSUM', { backend: 's3', path: remotePath, detail: `part ${index + 1}: ETag ${etag} is not the MD5 of the bytes read` })
          }
          etags[index] = etag
        },
        async complete(partCount) {
          const Parts = Array.from({ length: partCount }, (_, i) => ({ PartNumber: i + 1, ETag: `"${etags[i] ?? ''}"` }))
          const r = await guard(() => fs.client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts } })))
          // The object's ETag is the MD5 of the part MD5s: the caller compares it with its own.
          const got = unquote(r.ETag).toLowerCase()
          // (Opaque for objects encrypted with KMS: then the stat decides.)
          const opaque = (r.ServerSideEncryption ?? '').startsWith('aws:kms')
          return !opaque && /^[0-9a-f]{32}-\d+$/.test(got) ? { etag: got, md5OfParts: got } : { etag: got }
        },
        async abort() {
          await fs.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => undefined)
        },
      }
    },
  }
}
