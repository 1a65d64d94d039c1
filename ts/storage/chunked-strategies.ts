/** Picks the parallel chunked upload strategy of a filesystem (undefined: plain `put` only). */
import { AzureBlobFileSystem } from './azure.js'
import { azureBlocksStrategy } from './chunked-azure.js'
import { gcsComposeStrategy } from './chunked-gcs.js'
import { s3MultipartStrategy } from './chunked-s3.js'
import type { ChunkedUploadStrategy } from './chunked-strategy.js'
import { webHdfsConcatStrategy } from './chunked-webhdfs.js'
import { GcsFileSystem } from './gcs.js'
import { S3FileSystem } from './s3.js'
import type { FileSystem } from './types.js'
import { WebHdfsFileSystem } from './webhdfs.js'

export function chunkedStrategyFor(fs: FileSystem): ChunkedUploadStrategy | undefined {
  if (fs instanceof S3FileSystem) return s3MultipartStrategy(fs)
  if (fs instanceof GcsFileSystem) return gcsComposeStrategy(fs)
  if (fs instanceof AzureBlobFileSystem) return azureBlocksStrategy(fs)
  if (fs instanceof WebHdfsFileSystem) return webHdfsConcatStrategy(fs)
  return undefined
}
