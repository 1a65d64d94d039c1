/** S3 multipart upload: CreateMultipartUpload, parallel UploadPart (Content-MD5), Complete or Abort. */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import { createHash } from 'node:crypto'
import type { ChunkedUploadSession, ChunkedUploadStrategy } from './chunked-strategy.js'
import { StorageError } from './errors.js'
import type { S3FileSystem } from './s3.js'

const unquote = (etag: string | undefined): string => (etag ?? '').replace(/"/g, '')

export function s3MultipartStrategy(fs: S3FileSystem): ChunkedUploadStrategy {
  return {
    name: 's3-multipart',
    minPartSize: 5 << 20,
    maxParts: 10_000,
    async begin(remotePath: string): Promise<ChunkedUploadSession> {
      const Key = fs.objectKey(remotePath)
      const Bucket = fs.bucket
      const guard = async <T>(f: () => Promise<T>): Promise<T> => {
        try {
          return await f()
        } catch (err) {
          throw fs.toStorageError(err, remotePath)
        }
      }
      const created = await guard(() => fs.client.send(new CreateMultipartUploadCommand({ Bucket, Key })))
      const UploadId = created.UploadId
      if (!UploadId) throw new StorageError('EIO', { backend: 's3', path: remotePath, detail: 'CreateMultipartUpload returned no UploadId' })
      const md5s: Buffer[] = []
      const etags: string[] = []
      return {
        async uploadPart(index, data) {
          const md5 = createHash('md5').update(data).digest()
          const r = await guard(() =>
            fs.client.send(
              new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: index + 1, Body: data, ContentLength: data.length, ContentMD5: md5.toString('base64') }),
            ),
          )
          const etag = unquote(r.ETag)
          // S3 answers a plain part's MD5 as its ETag; anything else means the bytes differ.
          if (etag !== md5.toString('hex')) {
            throw new StorageError('ETRANSIENT', { backend: 's3', path: remotePath, detail: `part ${index + 1}: ETag ${etag} is not the MD5 of the bytes sent` })
          }
          md5s[index] = md5
          etags[index] = etag
        },
        async complete(partCount) {
          const Parts = Array.from({ length: partCount }, (_, i) => ({ PartNumber: i + 1, ETag: `"${etags[i] ?? ''}"` }))
          const r = await guard(() => fs.client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts } })))
          const expected = `${createHash('md5').update(Buffer.concat(md5s.slice(0, partCount))).digest('hex')}-${partCount}`
          const got = unquote(r.ETag)
          if (got !== '' && got !== expected) {
            throw new StorageError('EIO', { backend: 's3', path: remotePath, detail: `multipart ETag ${got}, expected ${expected}` })
          }
        },
        async abort() {
          await fs.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => undefined)
        },
      }
    },
  }
}
