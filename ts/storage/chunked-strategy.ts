/**
 * What a backend provides for parallel chunked uploads: a session that accepts numbered parts
 * in any order and concurrently, then publishes them as one object (or aborts, publishing
 * nothing and removing what it can).
 */

export interface ChunkedUploadSession {
  /** Uploads part `index` (0-based). Called concurrently; the same index may be retried. */
  uploadPart(index: number, data: Buffer): Promise<void>
  /** Every part 0..partCount-1 is uploaded: assemble and publish the target. */
  complete(partCount: number): Promise<void>
  /** Best effort: remove temporary parts; nothing becomes visible at the target. */
  abort(): Promise<void>
}

export interface ChunkedUploadStrategy {
  /** e.g. 's3-multipart', 'gcs-compose', 'azure-blocks', 'webhdfs-concat'. */
  readonly name: string
  /** Smallest size the backend accepts for every part but the last. */
  readonly minPartSize: number
  /** Most parts one upload may have. */
  readonly maxParts: number
  /** Starts an upload of `size` bytes to `remotePath` (a path under the filesystem root). */
  begin(remotePath: string, size: number): Promise<ChunkedUploadSession>
}
