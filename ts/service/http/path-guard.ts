/**
 * The `?path=` guard: a path from a request names a file under the data root's `logs/` or
 * `categorized/` tree, and nothing else. Checked twice: the text first (traversal syntax,
 * encodings, NUL, backslashes, absolute paths are refused before touching the disk), then the
 * real path (symlinks resolved) must still be inside one of the two trees. The file is then
 * opened by its real path with O_NOFOLLOW, so a symlink swapped in afterwards is not followed.
 */
import { constants, promises as fsp } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { sep } from 'node:path'
import { ApiError } from './errors.js'

/** The trees a request may read from, by their first path segment. */
export interface ServedRoots {
  /** Segment -> real path, e.g. `logs` -> `/data/logs`. */
  trees: ReadonlyMap<string, string>
}

export async function servedRoots(trees: Record<string, string>): Promise<ServedRoots> {
  const m = new Map<string, string>()
  for (const [seg, dir] of Object.entries(trees)) {
    await fsp.mkdir(dir, { recursive: true })
    m.set(seg, await fsp.realpath(dir))
  }
  return { trees: m }
}

function refuse(code: 'ERR_INVALID_PATH' | 'ERR_PATH_TRAVERSAL', message: string): ApiError {
  return new ApiError(400, code, `path: ${message}`, 'path')
}

/** The checks on the text alone; returns the path's segments. */
export function checkPathText(raw: string): string[] {
  if (raw.length === 0) throw refuse('ERR_INVALID_PATH', 'empty')
  if (raw.length > 4096) throw refuse('ERR_INVALID_PATH', 'longer than 4096 characters')
  if (raw.includes('\0')) throw refuse('ERR_INVALID_PATH', 'contains a NUL byte')
  // Control characters never appear in the names the service writes.
  if (/[\u0001-\u001f\u007f]/.test(raw)) throw refuse('ERR_INVALID_PATH', 'contains a control character')
  if (raw.includes('\\')) throw refuse('ERR_INVALID_PATH', 'contains a backslash (use /)')
  // The query string was decoded once already: a `%xx` left is a second encoding layer, the
  // classic way to smuggle `../` past a check that decodes once.
  if (/%[0-9a-fA-F]{2}/.test(raw)) throw refuse('ERR_PATH_TRAVERSAL', 'contains a percent-encoded sequence (encoded twice)')
  if (raw.startsWith('/') || /^[a-zA-Z]:/.test(raw) || raw.startsWith('~'))
    throw refuse('ERR_INVALID_PATH', 'must be relative to the data root (e.g. categorized/server/x.log)')
  const segs = raw.split('/').filter((s) => s !== '' && s !== '.')
  if (segs.some((s) => s === '..' || /^\.{2,}$/.test(s))) throw refuse('ERR_PATH_TRAVERSAL', "contains a '..' segment")
  if (segs.length === 0) throw refuse('ERR_INVALID_PATH', 'names the data root')
  return segs
}

function inside(root: string, p: string): boolean {
  return p.startsWith(root + sep)
}

export interface OpenedFile {
  handle: FileHandle
  /** Real path. */
  realPath: string
  /** Relative to the data root, `/`-separated. */
  relPath: string
  size: number
  mtimeMs: number
}

/** A path of a request resolved under the served trees. */
export interface ServedPath {
  /** Real path (symlinks resolved), inside one of the trees. */
  realPath: string
  /** Relative to the data root, `/`-separated (`categorized/server/a.log`). */
  relPath: string
  /** First segment: the tree (`logs`, `categorized`). */
  tree: string
}

/**
 * Resolves `raw` (a file or a directory) under `roots` to its real path, or throws a 400/403/404
 * ApiError. `allowTree`: `raw` may name a tree itself (`logs`), not only what is under it.
 */
export async function resolveServedPath(roots: ServedRoots, raw: string, opts: { allowTree?: boolean } = {}): Promise<ServedPath> {
  const segs = checkPathText(raw)
  const tree = roots.trees.get(segs[0] as string)
  if (tree === undefined || (segs.length < 2 && opts.allowTree !== true))
    throw new ApiError(403, 'ERR_PATH_OUTSIDE_ROOT', `path: must name a file under ${[...roots.trees.keys()].map((k) => `${k}/`).join(' or ')}`, 'path')
  const joined = [tree, ...segs.slice(1)].join(sep)
  let real: string
  try {
    real = await fsp.realpath(joined)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
      throw new ApiError(404, 'ERR_NOT_FOUND', `path: no such file: ${segs.join('/')}`, 'path')
    if ((err as NodeJS.ErrnoException).code === 'ELOOP')
      throw new ApiError(403, 'ERR_PATH_OUTSIDE_ROOT', 'path: symbolic link loop', 'path')
    throw err
  }
  if (!(real === tree && opts.allowTree === true) && !inside(tree, real))
    throw new ApiError(403, 'ERR_PATH_OUTSIDE_ROOT', 'path: resolves outside the served directories (symbolic link?)', 'path')
  const rest = real === tree ? [] : real.slice(tree.length + 1).split(sep)
  return { realPath: real, relPath: [segs[0], ...rest].join('/'), tree: segs[0] as string }
}

/** Resolves `raw` under `roots` and opens it read-only, or throws a 400/403/404 ApiError. */
export async function openServedFile(roots: ServedRoots, raw: string): Promise<OpenedFile> {
  const { realPath: real, relPath } = await resolveServedPath(roots, raw)
  let handle: FileHandle
  try {
    handle = await fsp.open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ELOOP') throw new ApiError(403, 'ERR_PATH_OUTSIDE_ROOT', 'path: became a symbolic link', 'path')
    if (code === 'ENOENT') throw new ApiError(404, 'ERR_NOT_FOUND', `path: no such file: ${relPath}`, 'path')
    throw err
  }
  try {
    const st = await handle.stat()
    if (!st.isFile()) throw new ApiError(400, 'ERR_NOT_A_FILE', 'path: not a regular file', 'path')
    return { handle, realPath: real, relPath, size: st.size, mtimeMs: st.mtimeMs }
  } catch (err) {
    await handle.close()
    throw err
  }
}
