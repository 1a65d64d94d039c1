/**
 * Azure block blobs: every chunk is a staged block whose transactional MD5 is the caller's MD5 of
 * the bytes it read (the service refuses a block that does not match: Md5Mismatch), the ordered
 * block list is committed at the end and read back: the committed blocks must be exactly the
 * staged ones with their sizes (else the blob is deleted and the upload fails ECHECKSUM). Blocks never committed are invisible and are
 * garbage-collected by the service, so an aborted upload leaves nothing to delete.
 */
import { createHash, randomUUID } from 'node:crypto'
import type { AzureBlobFileSystem } from './azure.js'
import type { BeginOptions, ChunkedUploadSession, ChunkedUploadStrategy } from './chunked-strategy.js'
import { StorageError } from './errors.js'

export function azureBlocksStrategy(fs: AzureBlobFileSystem): ChunkedUploadStrategy {
  return {
    name: 'azure-blocks',
    minPartSize: 1,
    maxParts: 50_000,
    async begin(remotePath: string, _size: number, options?: BeginOptions): Promise<ChunkedUploadSession> {
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
      const sizes: number[] = []
      return {
        async uploadPart(index, data, sums) {
          const md5 = sums?.md5 ?? createHash('md5').update(data).digest()
          await guard(() => blob.stageBlock(blockId(index), data, data.length, { transactionalContentMD5: md5 }))
          sizes[index] = data.length
        },
        async complete(partCount) {
          const ids = Array.from({ length: partCount }, (_, i) => blockId(i))
          await guard(() => blob.commitBlockList(ids, fs.commitOptions(options?.metadata)))
          const list = await guard(() => blob.getBlockList('committed'))
          const committed = list.committedBlocks ?? []
          const same = committed.length === partCount && committed.every((b, i) => b.name === ids[i] && b.size === sizes[i])
          if (!same) {
            await blob.delete().catch(() => undefined)
            throw new StorageError('ECHECKSUM', { backend: 'az', path: remotePath, detail: `committed block list (${committed.length} blocks) is not the ${partCount} blocks staged` })
          }
          return { partsVerified: true }
        },
        async abort() {
          // Uncommitted blocks expire on their own; an existing blob is left untouched.
        },
      }
    },
  }
}
