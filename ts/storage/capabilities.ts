/** The capabilities of a filesystem, with a safe reading for objects that declare none. */
import { join } from 'node:path'
import { normalizePath } from './path.js'
import type { FileSystem, FileSystemCapabilities } from './types.js'

/**
 * What is assumed of a FileSystem object that declares no capabilities (a hand-written one from
 * plain JavaScript): nothing beyond the interface. Its writes are verified by reading them back,
 * a copy that fails is removed, and large files are streamed.
 */
export const NO_CAPABILITIES: FileSystemCapabilities = Object.freeze({
  atomicPublish: 'atomic-write',
  rename: false,
  nativeChecksum: Object.freeze({ kinds: [], inStat: false }),
  objectMetadata: false,
  rangedReads: false,
  parallelParts: undefined,
})

export function capabilitiesOf(fs: FileSystem): FileSystemCapabilities {
  return (fs as Partial<FileSystem>).capabilities ?? NO_CAPABILITIES
}

/** Where `path` of `fs` is on this machine, for backends with a localRoot; else undefined. */
export function localPathOf(fs: FileSystem, path: string): string | undefined {
  const root = capabilitiesOf(fs).localRoot
  return root === undefined ? undefined : join(root, normalizePath(path))
}
