/** Public result types of the uploader. */

export interface UploaderStats {
  /** Distinct files accepted into the queue by this uploader (including ones resumed from the state). */
  totalFiles: number
  /** Files uploaded and verified. */
  successful: number
  /** Files whose last upload failed after the retries of its requests (kept in the state, retried later). */
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
  /** Tries of the file's most-retried request (its write, or a chunk): 1 when nothing was retried. */
  attempts: number
  /** Retries of all its requests (chunks, the write, the session's start). */
  chunkRetries: number
}

export interface FailedUpload {
  path: string
  event: string
  objectName: string
  error: Error
  /** Tries of its most-retried request, summed over every pass so far (all runs). */
  attempts: number
}

export interface CloseOptions {
  /** How long to wait for uploads in progress before aborting them, in ms (default 30000). */
  timeout?: number
}
