/**
 * Expands paths and globs on the source into (source path, target path, size) entries, or takes
 * a caller's planned list as it is; either way each target path is claimed once.
 */
import { retry } from '../delivery/retry.js'
import { isStorageError, type FileInfo, type FileSystem } from '../storage/index.js'
import { globBase, globToRegExp } from '../storage/glob.js'
import { basenamePath, dirnamePath, normalizePath } from '../storage/path.js'
import { invalidArg } from './errors.js'
import type { PlannedFile, PlannedSourceFile } from './types.js'

const GLOB_CHARS = /[*?[{]/

export interface PlanOptions {
  preserveStructure: boolean
  retries: number
  retryDelay: number
  signal?: AbortSignal
}

function relativeTo(base: string, path: string): string {
  return base === '' ? path : path.slice(base.length + 1)
}

/**
 * The directory the files of `pattern` keep their paths relative to (preserveStructure): the
 * glob's literal base, or the parent of a literal file or directory (a directory is copied whole).
 */
export function patternBase(pattern: string): string {
  const norm = normalizePath(pattern)
  return GLOB_CHARS.test(norm) ? globBase(norm) : dirnamePath(norm)
}

/** Where `path`, found by a pattern whose base is `base`, goes on the target. */
export function targetPathOf(path: string, base: string, preserveStructure: boolean): string {
  return preserveStructure ? relativeTo(base, path) : basenamePath(path)
}

/** Records that `source` goes to `target`; two sources for one target are refused. */
function claim(targets: Map<string, string>, target: string, source: string): void {
  const other = targets.get(target)
  if (other !== undefined) {
    throw invalidArg('range', `'${other}' and '${source}' would both be written to '${target}' (set preserveStructure: true?)`)
  }
  targets.set(target, source)
}

/** Planning requests (one listing, one stat) are each retried on their own. */
async function retried<T>(fn: () => Promise<T>, o: PlanOptions): Promise<T> {
  return (await retry(fn, o)).value
}

/** Files below `base` (recursive) as FileInfo, or [] when the base does not exist. */
async function listFiles(fs: FileSystem, base: string, o: PlanOptions): Promise<FileInfo[]> {
  try {
    const all = await retried(() => fs.ls(base, { recursive: true }), o)
    return all.filter((e) => e.kind === 'file')
  } catch (err) {
    if (isStorageError(err, 'ENOENT') || isStorageError(err, 'ENOTDIR')) return []
    throw err
  }
}

/**
 * One pattern -> its files, each with the directory its target path is relative to: the glob's
 * literal base, the parent of a literal file, or the parent of a literal directory (copied whole).
 */
async function expand(fs: FileSystem, pattern: string, o: PlanOptions): Promise<{ base: string; info?: FileInfo; path: string; error?: Error }[]> {
  const norm = normalizePath(pattern)
  if (GLOB_CHARS.test(norm)) {
    const base = globBase(norm)
    const re = globToRegExp(norm)
    return (await listFiles(fs, base, o)).filter((e) => re.test(e.path)).map((info) => ({ base, info, path: info.path }))
  }
  const base = dirnamePath(norm)
  let info: FileInfo
  try {
    info = await retried(() => fs.stat(norm), o)
  } catch (err) {
    // A literal path that cannot be read is reported as a failed file, not thrown.
    if (isStorageError(err) && err.code !== 'ETRANSIENT') return [{ base, path: norm, error: err }]
    throw err
  }
  if (info.kind === 'file') return [{ base, info: { ...info, path: norm }, path: norm }]
  return (await listFiles(fs, norm, o)).map((e) => ({ base, info: e, path: e.path }))
}

export async function planFiles(fs: FileSystem, patterns: readonly string[], o: PlanOptions): Promise<PlannedFile[]> {
  const out: PlannedFile[] = []
  const seen = new Set<string>()
  const targets = new Map<string, string>()
  for (const pattern of patterns) {
    for (const e of await expand(fs, pattern, o)) {
      if (seen.has(e.path)) continue
      seen.add(e.path)
      const target = targetPathOf(e.path, e.base, o.preserveStructure)
      claim(targets, target, e.path)
      out.push({ source: e.path, target, size: e.info?.size ?? 0, mtime: e.info?.mtime, error: e.error })
    }
  }
  return out
}

/**
 * A caller's planned list as the transfer's files: no listing, no stat. A file without a target
 * keeps its path (preserveStructure) or its basename.
 */
export function fromPlannedList(list: readonly PlannedSourceFile[], preserveStructure: boolean): PlannedFile[] {
  const targets = new Map<string, string>()
  return list.map((f) => {
    const source = normalizePath(f.path)
    const target = f.target !== undefined ? normalizePath(f.target) : preserveStructure ? source : basenamePath(source)
    claim(targets, target, source)
    return { source, target, size: f.size, mtime: f.mtime }
  })
}
