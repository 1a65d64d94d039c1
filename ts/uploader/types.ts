/** Public result types of the uploader. */

export interface UploaderStats {
  /** Distinct files accepted into the queue by this uploader (including ones resumed from the state). */
  totalFiles: number
  /** Files uploaded and verified. */
  successful: number
  /** Files whose last attempt failed after maxRetries (kept in the state, retried later). */
  failed: number
  /** Bytes of the successful files. */
  totalBytes: number
  /** Files queued or uploading. totalFiles = successful + failed + pending. */
  pending: number
}

export interface UploadedFile {
  path: string
  event: string
  objectName: string
  size: number
  /** 'put' or the chunked strategy used ('s3-multipart', 'gcs-compose', ...). */
  method: string
  parts: number
  /** Attempts this run needed for the whole file. */
  attempts: number
  /** Chunk (or put) retries over those attempts. */
  chunkRetries: number
}

export interface FailedUpload {
  path: string
  event: string
  objectName: string
  error: Error
  /** Attempts made so far, over all runs. */
  attempts: number
}

export interface CloseOptions {
  /** How long to wait for uploads in progress before aborting them, in ms (default 30000). */
  timeout?: number
}
