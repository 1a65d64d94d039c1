/**
 * Which targets are missing, learnt from one listing per target directory instead of one stat
 * per file: a first copy of 1,000 files into an empty prefix costs one LIST, not 1,000 HEADs.
 * Only directories that receive at least LIST_THRESHOLD planned files are listed (a listing of
 * a huge directory for two files would cost more than it saves); for any other file, and
 * whenever a listing fails, the caller stats the file as before.
 */
import { isStorageError, type FileSystem } from '../storage/index.js'
import { dirnamePath, normalizePath } from '../storage/path.js'

const LIST_THRESHOLD = 16

export class TargetIndex {
  private readonly listings = new Map<string, Promise<Set<string> | undefined>>()
  private readonly counts = new Map<string, number>()

  constructor(
    private readonly fs: FileSystem,
    targets: readonly string[],
  ) {
    for (const t of targets) {
      const dir = dirnamePath(normalizePath(t))
      this.counts.set(dir, (this.counts.get(dir) ?? 0) + 1)
    }
  }

  /** True when the listing of its directory shows `path` does not exist; false when unknown or present. */
  async missing(path: string): Promise<boolean> {
    const p = normalizePath(path)
    const dir = dirnamePath(p)
    if ((this.counts.get(dir) ?? 0) < LIST_THRESHOLD) return false
    let listing = this.listings.get(dir)
    if (!listing) {
      listing = this.fs.ls(dir).then(
        (entries) => new Set(entries.map((e) => normalizePath(e.path))),
        (err: unknown) => (isStorageError(err, 'ENOENT') ? new Set<string>() : undefined),
      )
      this.listings.set(dir, listing)
    }
    const names = await listing
    return names !== undefined && !names.has(p)
  }
}
