/**
 * Azure block blobs: every chunk is a staged block (with its MD5 checked by the service), the
 * ordered block list is committed at the end. Blocks never committed are invisible and are
 * garbage-collected by the service, so an aborted upload leaves nothing to delete.
 */
import { createHash, randomUUID } from 'node:crypto'
import type { AzureBlobFileSystem } from './azure.js'
import type { ChunkedUploadSession, ChunkedUploadStrategy } from './chunked-strategy.js'

export function azureBlocksStrategy(fs: AzureBlobFileSystem): ChunkedUploadStrategy {
  return {
    name: 'azure-blocks',
    minPartSize: 1,
    maxParts: 50_000,
    async begin(remotePath: string): Promise<ChunkedUploadSession> {
      const blob = fs.container.getBlockBlobClient(fs.objectKey(remotePath))
      const upload = randomUUID()
      // Block ids of one blob must all have the same length.
      const blockId = (i: number): string => Buffer.from(`${upload}-${String(i).padStart(6, '0')}`).toString('base64')
      const guard = async <T>(f: () => Promise<T>): Promise<T> => {
        try {
          return await f()
        } catch (err) {
          throw fs.toStorageError(err, remotePath)
        }
      }
      return {
        async uploadPart(index, data) {
          const md5 = createHash('md5').update(data).digest()
          await guard(() => blob.stageBlock(blockId(index), data, data.length, { transactionalContentMD5: md5 }))
        },
        async complete(partCount) {
          await guard(() => blob.commitBlockList(Array.from({ length: partCount }, (_, i) => blockId(i))))
        },
        async abort() {
          // Uncommitted blocks expire on their own; an existing blob is left untouched.
        },
      }
    },
  }
}
