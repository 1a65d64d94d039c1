/** The overwrite policy: decides whether an existing target is left alone. */
import { isStorageError, type FileInfo, type FileSystem } from '../storage/index.js'
import { comparableChecksums } from '../delivery/verify.js'
import { SHA256_KEY, SOURCE_SHA256_KEY } from './metadata.js'
import type { OverwritePolicy } from './types.js'

export interface SkipDecision {
  skip: boolean
  reason: string
}

/**
 * 'always' never skips; 'never' skips whenever the target exists; 'ifChanged' skips when sizes
 * are equal and either comparable native checksums match, or the target's `logferry-sha256`
 * metadata equals the source's sha256, or (with neither) the target is at least as new as the
 * source. A compressed target (`compressed`) is compared by its `logferry-source-sha256`, else
 * by mtime alone (its size is not the source's).
 */
export async function decideSkip(
  policy: OverwritePolicy,
  source: FileSystem,
  src: { path: string; size: number; mtime?: Date },
  target: FileSystem,
  targetPath: string,
  compressed = false,
): Promise<SkipDecision> {
  if (policy === 'always') return { skip: false, reason: 'overwrite: always' }
  let t: FileInfo
  try {
    t = await target.stat(targetPath)
  } catch (err) {
    if (isStorageError(err, 'ENOENT')) return { skip: false, reason: 'target missing' }
    throw err
  }
  if (policy === 'never') return { skip: true, reason: 'target exists (overwrite: never)' }
  if (t.kind !== 'file') return { skip: false, reason: 'target is not a file' }
  if (!compressed && t.size !== src.size) return { skip: false, reason: 'size differs' }
  if (!compressed) {
    const sums = await comparableChecksums(source, src.path, target, targetPath)
    if (sums) return { skip: sums.equal, reason: sums.equal ? 'checksums equal' : 'checksums differ' }
  }
  const stored = t.metadata?.[compressed ? SOURCE_SHA256_KEY : SHA256_KEY]
  if (stored !== undefined) {
    const sha = (await source.checksum(src.path, 'sha256')).value
    return { skip: sha === stored, reason: sha === stored ? `${SHA256_KEY} metadata equal` : `${SHA256_KEY} metadata differs` }
  }
  if (src.mtime && t.mtime && notOlder(t.mtime, src.mtime)) return { skip: true, reason: 'same size, target not older' }
  return { skip: false, reason: 'target older or mtime unknown' }
}

/**
 * target >= source, at whole-second resolution when the target's clock is whole seconds (S3
 * LastModified, SFTP mtime): a copy made in the same second as the source's change is not older.
 */
function notOlder(target: Date, source: Date): boolean {
  const t = target.getTime()
  const s = source.getTime()
  if (t % 1000 === 0) return t >= Math.floor(s / 1000) * 1000
  return t >= s
}
