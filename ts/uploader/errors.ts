/** Errors of the uploader API beyond option validation (which uses ERR_INVALID_CONFIG). */
import { LogferryError } from '../errors.js'

export type UploaderErrorCode = 'ERR_UPLOADER_CLOSED' | 'ERR_INVALID_ARG'

/** A LogferryError from the uploader (`instanceof` either works). */
export class UploaderError extends LogferryError {
  declare readonly code: UploaderErrorCode
  constructor(code: UploaderErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'UploaderError'
  }
}
