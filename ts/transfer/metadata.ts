/** The object metadata keys transferFiles stores on targets with capabilities.objectMetadata. */

/** sha256 (hex) of the object's bytes. */
export const SHA256_KEY = 'logferry-sha256'
/** sha256 (hex) of the uncompressed source of a compressed object. */
export const SOURCE_SHA256_KEY = 'logferry-source-sha256'
