/**
 * The cursor of a `GET /search` JSON page: where the next page starts (the file, its mtime for
 * its place in the newest-first order, the byte offset and number of the next matching line)
 * and a digest of the query it belongs to, so a cursor is refused with another query. Opaque
 * to clients: base64url of a small JSON.
 */
import { createHash } from 'node:crypto'
import { badParam } from './errors.js'

export interface SearchPosition {
  /** Relative to the data root. */
  path: string
  mtimeMs: number
  offset: number
  lineNumber: number
}

/** The parameters a cursor is tied to (all but limit and cursor). */
export function queryDigest(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16)
}

export function encodeCursor(pos: SearchPosition, digest: string): string {
  return Buffer.from(JSON.stringify({ v: 1, p: pos.path, m: pos.mtimeMs, o: pos.offset, n: pos.lineNumber, q: digest })).toString('base64url')
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0

export function decodeCursor(raw: string, digest: string): SearchPosition {
  let c: Record<string, unknown>
  try {
    c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Record<string, unknown>
  } catch {
    throw badParam('cursor', 'not a cursor of this API')
  }
  if (c === null || typeof c !== 'object' || c.v !== 1 || typeof c.p !== 'string' || typeof c.m !== 'number' || !Number.isFinite(c.m) || !isCount(c.o) || !isCount(c.n) || c.n < 1)
    throw badParam('cursor', 'not a cursor of this API')
  if (c.q !== digest) throw badParam('cursor', 'belongs to another query (give the same q, regex, ignoreCase, service, path, since, until and context)')
  return { path: c.p, mtimeMs: c.m, offset: c.o, lineNumber: c.n }
}
