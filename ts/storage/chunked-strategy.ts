/**
 * What a backend provides for parallel chunked uploads: a session that accepts numbered parts
 * in any order and concurrently, then publishes them as one object (or aborts, publishing
 * nothing and removing what it can).
 *
 * Verification (docs/delivery.md, "Verification"): the caller hashes every part from the bytes
 * it read from the source and passes those checksums with the part. The session gives them to
 * the store where the store takes them (S3 Content-MD5, Azure transactional MD5) and compares
 * them with what the store answers (S3 part ETag, GCS part md5Hash): a part whose bytes differ
 * fails with StorageError ECHECKSUM. `complete` returns what the store states about the whole
 * object, which the delivery core compares with the combination of the part checksums.
 */
import type { WrittenObject } from './streams.js'
import type { StagedWrite } from './types.js'

/** Checksums of one part, computed by the caller from the bytes it read. */
export interface PartChecksums {
  /** MD5 of the part (unless the strategy sets `partMd5: false`). */
  md5?: Buffer
  /** CRC32C of the part, when the strategy lists 'crc32c' in `partChecksums`. */
  crc32c?: number
  /** MD5 of each HDFS block the part becomes, when the strategy lists 'hdfs'. */
  hdfsBlockMd5s?: Buffer[]
}

export interface CompleteOptions {
  /**
   * For strategies that publish by a rename (`publishesByRename`): called once the parts are
   * assembled under a hidden temp name, before the rename. A rejection aborts the upload and is
   * what `complete` rejects with.
   */
  beforePublish?: (staged: StagedWrite) => Promise<void>
}

export interface ChunkedUploadSession {
  /**
   * Uploads part `index` (0-based). Called concurrently; the same index may be retried. `sums`
   * are the checksums of the bytes the caller means to send (computed from `data` when absent).
   */
  uploadPart(index: number, data: Buffer, sums?: PartChecksums): Promise<void>
  /** Every part 0..partCount-1 is uploaded: assemble and publish the target. */
  complete(partCount: number, options?: CompleteOptions): Promise<WrittenObject | void>
  /** Best effort: remove temporary parts; nothing becomes visible at the target. */
  abort(): Promise<void>
}

export interface BeginOptions {
  /** User metadata for the object (backends with objectMetadata). */
  metadata?: Record<string, string>
}

export interface ChunkedUploadStrategy {
  /** e.g. 's3-multipart', 'gcs-compose', 'azure-blocks', 'webhdfs-concat'. */
  readonly name: string
  /** Smallest size the backend accepts for every part but the last. */
  readonly minPartSize: number
  /** Most parts one upload may have. */
  readonly maxParts: number
  /** Part checksums the session uses besides MD5 (the caller computes only these). */
  readonly partChecksums?: readonly ('crc32c' | 'hdfs')[]
  /** False: neither the session nor the store uses part MD5s (HDFS: its block checksums decide), so none is computed. */
  readonly partMd5?: boolean
  /** HDFS block size of the parts (with 'hdfs' in partChecksums). */
  readonly hdfsBlockSize?: number
  /** Starts an upload of `size` bytes to `remotePath` (a path under the filesystem root). */
  begin(remotePath: string, size: number, options?: BeginOptions): Promise<ChunkedUploadSession>
}
