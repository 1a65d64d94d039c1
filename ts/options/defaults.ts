/**
 * Defaults shared by several entry points. The retry defaults are the retry helper's own
 * (ts/delivery/retry.ts): transferFiles, createUploader, uploadFile and copy jobs all retry
 * `DEFAULT_RETRIES` times with a `DEFAULT_RETRY_DELAY_MS` backoff base unless told otherwise.
 */
export { DEFAULT_RETRIES, DEFAULT_RETRY_DELAY_MS } from '../delivery/retry.js'
