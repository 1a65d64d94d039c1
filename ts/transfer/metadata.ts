/** The object metadata transferFiles stores on targets that have it (S3, GCS, Azure). */
import type { FileSystem } from '../storage/index.js'

/** sha256 (hex) of the object's bytes. */
export const SHA256_KEY = 'logferry-sha256'
/** sha256 (hex) of the uncompressed source of a compressed object. */
export const SOURCE_SHA256_KEY = 'logferry-source-sha256'

const WITH_METADATA = new Set(['s3', 'gs', 'az'])

export function hasObjectMetadata(fs: FileSystem): boolean {
  return WITH_METADATA.has(fs.protocol)
}
