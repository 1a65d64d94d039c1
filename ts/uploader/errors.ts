/** Errors of the uploader API beyond option validation (which uses ERR_INVALID_CONFIG). */
export type UploaderErrorCode = 'ERR_UPLOADER_CLOSED' | 'ERR_INVALID_ARG'

export class UploaderError extends Error {
  readonly code: UploaderErrorCode
  constructor(code: UploaderErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'UploaderError'
    this.code = code
  }
}
