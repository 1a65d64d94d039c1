/**
 * Expands paths and globs on the source into (source path, target path, size) entries, or takes
 * a caller's planned list as it is; either way each target path is claimed once.
 */
import { retry } from '../delivery/retry.js'
import { type FileInfo, type FileSystem } from '../storage/index.js'
import { expandPattern, patternBase } from '../storage/glob.js'
import { basenamePath, normalizePath } from '../storage/path.js'
import { invalidArg } from './errors.js'
import type { PlannedFile, PlannedSourceFile } from './types.js'

export interface PlanOptions {
  preserveStructure: boolean
  retries: number
  retryDelay: number
  signal?: AbortSignal
}

function relativeTo(base: string, path: string): string {
  return base === '' ? path : path.slice(base.length + 1)
}

export { patternBase }

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

/**
 * One pattern -> its files (storage/glob.ts expandPattern), each with the directory its target
 * path is relative to; a literal path that cannot be read is reported as a failed file.
 */
async function expand(fs: FileSystem, pattern: string, o: PlanOptions): Promise<{ base: string; info?: FileInfo; path: string; error?: Error }[]> {
  const { base, files, error } = await expandPattern(fs, pattern, { call: (request) => retried(request, o) })
  if (error) return [{ base, path: normalizePath(pattern), error }]
  return files.map((info) => ({ base, info, path: info.path }))
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
