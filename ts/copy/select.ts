/** Which local files a copy job run considers: pattern expansion with sizes and mtimes. */
import { globBase, globToRegExp } from '../storage/glob.js'
import { isStorageError, type FileInfo, type FileSystem } from '../storage/index.js'
import { normalizePath } from '../storage/path.js'

const GLOB_CHARS = /[*?[{]/

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

async function filesBelow(fs: FileSystem, dir: string): Promise<FileInfo[]> {
  try {
    return (await fs.ls(dir, { recursive: true })).filter((e) => e.kind === 'file')
  } catch (err) {
    if (isStorageError(err, 'ENOENT') || isStorageError(err, 'ENOTDIR')) return []
    throw err
  }
}

/**
 * Expands absolute local patterns on `fs` (the local filesystem rooted at '/') the way
 * transferFiles does: globs below their literal base, literal files, literal directories whole.
 */
export async function expandPatterns(fs: FileSystem, absPatterns: readonly string[]): Promise<Expansion> {
  const files = new Map<string, Candidate>()
  const patterns = new Map<string, Candidate[]>()
  for (const abs of absPatterns) {
    const pattern = normalizePath(abs)
    let found: FileInfo[]
    if (GLOB_CHARS.test(pattern)) {
      const re = globToRegExp(pattern)
      found = (await filesBelow(fs, globBase(pattern))).filter((e) => re.test(e.path))
    } else {
      try {
        const info = await fs.stat(pattern)
        found = info.kind === 'file' ? [{ ...info, path: pattern }] : await filesBelow(fs, pattern)
      } catch (err) {
        if (!isStorageError(err, 'ENOENT')) throw err
        found = []
      }
    }
    const list = found.map(candidate)
    for (const c of list) files.set(c.path, c)
    if (list.length > 0) patterns.set(pattern, list)
  }
  return { files, patterns }
}
