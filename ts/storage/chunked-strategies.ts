/** The parallel chunked upload strategy of a filesystem (undefined: plain `put` only). */
import { capabilitiesOf } from './capabilities.js'
import type { ChunkedUploadStrategy } from './chunked-strategy.js'
import type { FileSystem } from './types.js'

/** What the backend declares (capabilities.parallelParts). */
export function chunkedStrategyFor(fs: FileSystem): ChunkedUploadStrategy | undefined {
  return capabilitiesOf(fs).parallelParts
}
