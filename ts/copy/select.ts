/** Which local files a copy job run considers: pattern expansion with sizes and mtimes. */
import { expandPattern } from '../storage/glob.js'
import { isStorageError, type FileInfo, type FileSystem } from '../storage/index.js'
import { normalizePath } from '../storage/path.js'

export interface Candidate {
  /** Path relative to '/', as the local filesystem at '/' names it. */
  path: string
  size: number
  mtimeMs: number
}

export interface Expansion {
  /** Every matching file, by path. */
  files: Map<string, Candidate>
  /** Patterns (root-relative) that matched at least one file, to hand to transferFiles. */
  patterns: Map<string, Candidate[]>
}

function candidate(info: FileInfo): Candidate {
  return { path: info.path, size: info.size, mtimeMs: info.mtime?.getTime() ?? 0 }
}

/**
 * Expands absolute local patterns on `fs` (the local filesystem rooted at '/') with the one
 * expansion transferFiles uses (storage/glob.ts): globs below their literal base, literal
 * files, literal directories whole.
 */
export async function expandPatterns(fs: FileSystem, absPatterns: readonly string[]): Promise<Expansion> {
  const files = new Map<string, Candidate>()
  const patterns = new Map<string, Candidate[]>()
  for (const abs of absPatterns) {
    const pattern = normalizePath(abs)
    const { files: found, error } = await expandPattern(fs, pattern)
    // A literal path that is not there (yet) matches nothing; anything else fails the run.
    if (error && !isStorageError(error, 'ENOENT')) throw error
    const list = found.map(candidate)
    for (const c of list) files.set(c.path, c)
    if (list.length > 0) patterns.set(pattern, list)
  }
  return { files, patterns }
}
