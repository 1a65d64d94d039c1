/**
 * Globs: patterns to regular expressions, the literal directory a pattern starts from, and the
 * one expansion of a pattern into the files it stands for (used by FileSystem.glob,
 * transferFiles' planning and copy jobs).
 */
import { isStorageError, type StorageError } from './errors.js'
import { dirnamePath, normalizePath } from './path.js'
import type { FileInfo, FileSystem } from './types.js'

function escapeRe(ch: string): string {
  return /[.+^${}()|[\]\\/]/.test(ch) ? `\\${ch}` : ch
}

export function globToRegExp(pattern: string): RegExp {
  let re = ''
  let inGroup = 0
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        const slashAfter = pattern[i + 2] === '/'
        re += slashAfter ? '(?:.*/)?' : '.*'
        i += slashAfter ? 2 : 1
      } else re += '[^/]*'
    } else if (c === '?') re += '[^/]'
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 1)
      if (close < 0) re += '\\['
      else {
        let body = pattern.slice(i + 1, close)
        if (body.startsWith('!')) body = `^${body.slice(1)}`
        re += `[${body.replace(/\\/g, '\\\\')}]`
        i = close
      }
    } else if (c === '{') {
      inGroup++
      re += '(?:'
    } else if (c === '}' && inGroup > 0) {
      inGroup--
      re += ')'
    } else if (c === ',' && inGroup > 0) re += '|'
    else re += escapeRe(c)
  }
  return new RegExp(`^${re}$`)
}

/** The longest leading run of path components without glob syntax. */
export function globBase(pattern: string): string {
  const parts = pattern.split('/')
  const lit: string[] = []
  for (const p of parts.slice(0, -1)) {
    if (/[*?[{]/.test(p)) break
    lit.push(p)
  }
  return lit.join('/')
}

/** Characters that make a path a glob pattern. */
const GLOB_CHARS = /[*?[{]/

/** Whether `pattern` has glob syntax (otherwise it names one file or directory). */
export function isGlob(pattern: string): boolean {
  return GLOB_CHARS.test(pattern)
}

/**
 * The directory the files of `pattern` keep their paths relative to (preserveStructure): the
 * glob's literal base, or the parent of a literal file or directory (a directory is copied whole).
 */
export function patternBase(pattern: string): string {
  const norm = normalizePath(pattern)
  return isGlob(norm) ? globBase(norm) : dirnamePath(norm)
}

export interface ExpandOptions {
  /** Runs each listing and stat (e.g. with retries); default: calls it once. */
  call?: <T>(request: () => Promise<T>) => Promise<T>
}

export interface Expanded {
  /** patternBase(pattern). */
  base: string
  /** The files the pattern stands for, with their listing or stat info, paths normalised. */
  files: FileInfo[]
  /** A literal path that could not be stat'ed (ENOENT, EACCES, ...): reported, not thrown. */
  error?: StorageError
}

const once = <T>(request: () => Promise<T>): Promise<T> => request()

/** Entries below `dir` (recursive), or [] when it does not exist or is not a directory. */
async function below(fs: FileSystem, dir: string, call: NonNullable<ExpandOptions['call']>): Promise<FileInfo[]> {
  try {
    return await call(() => fs.ls(dir, { recursive: true }))
  } catch (err) {
    if (isStorageError(err, 'ENOENT') || isStorageError(err, 'ENOTDIR')) return []
    throw err
  }
}

/** Entries (files and directories) matching a glob pattern, from one recursive listing of its base. */
export async function matchGlob(fs: FileSystem, pattern: string, o: ExpandOptions = {}): Promise<FileInfo[]> {
  const norm = normalizePath(pattern)
  const re = globToRegExp(norm)
  return (await below(fs, globBase(norm), o.call ?? once)).filter((e) => re.test(e.path))
}

/**
 * The one pattern expansion (transferFiles' planning, copy jobs, FileSystem.glob): a glob stands
 * for the files below its literal base that match it, a literal file for itself, a literal
 * directory for every file below it (copied whole). A literal path that cannot be stat'ed comes
 * back as `error` (transient errors are thrown: the caller's retries decide).
 */
export async function expandPattern(fs: FileSystem, pattern: string, o: ExpandOptions = {}): Promise<Expanded> {
  const norm = normalizePath(pattern)
  const call = o.call ?? once
  const base = patternBase(norm)
  if (isGlob(norm)) return { base, files: (await matchGlob(fs, norm, o)).filter((e) => e.kind === 'file') }
  let info: FileInfo
  try {
    info = await call(() => fs.stat(norm))
  } catch (err) {
    if (isStorageError(err) && err.code !== 'ETRANSIENT') return { base, files: [], error: err }
    throw err
  }
  if (info.kind === 'file') return { base, files: [{ ...info, path: norm }] }
  return { base, files: (await below(fs, norm, call)).filter((e) => e.kind === 'file') }
}
