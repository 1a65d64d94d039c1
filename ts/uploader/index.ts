/** Uploader of sealed log files: persisted queue, parallel chunked uploads, retries. */
export { Uploader, createUploader } from './uploader.js'
export type { UploaderOptions, ResolvedUploaderOptions } from './options.js'
export type { ObjectNameInput, ObjectNameOption } from './object-name.js'
export { DEFAULT_OBJECT_NAME } from './object-name.js'
export type { QueueEntry, EntryStatus } from './queue-entry.js'
export type { UploaderStats, UploadedFile, FailedUpload, CloseOptions } from './types.js'
export { parseSealedName, type SealedName } from './sealed-name.js'
export { UploaderError, type UploaderErrorCode } from './errors.js'
