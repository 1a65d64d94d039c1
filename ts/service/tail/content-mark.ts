/**
 * The content mark of a position in a file: a short hash of the bytes just before it. A tail
 * event's id is `<offset>-<mark>`, so a client resuming (SSE Last-Event-ID) is resumed at that
 * offset only if the file still has the same bytes there; and a file replaced under its name
 * by a copy with the same content (rsync rebuilds a changed file in a temp name and renames it
 * over, which is how the service's mirror grows) is told apart from a rotation by the same test.
 */
import { createHash } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'

/** Bytes before the offset that the mark covers: enough to hold a timestamp and more. */
export const MARK_WINDOW = 256

export function markOf(bytes: Buffer): string {
  return createHash('sha1').update(bytes).digest('base64url').slice(0, 12)
}

/** The mark of `offset` in `handle`'s file, or undefined if the file is shorter than that. */
export async function markAt(handle: FileHandle, offset: number): Promise<string | undefined> {
  const start = Math.max(0, offset - MARK_WINDOW)
  const buf = Buffer.allocUnsafe(offset - start)
  let got = 0
  while (got < buf.length) {
    const { bytesRead } = await handle.read(buf, got, buf.length - got, start + got)
    if (bytesRead === 0) return undefined
    got += bytesRead
  }
  return markOf(buf)
}

export interface StreamPosition {
  offset: number
  mark: string
}

export function formatPosition(p: StreamPosition): string {
  return `${p.offset}-${p.mark}`
}

/** `<offset>-<mark>` back to a position, or undefined when it is not one. */
export function parsePosition(id: string): StreamPosition | undefined {
  const m = /^(\d{1,16})-([A-Za-z0-9_-]{12})$/.exec(id.trim())
  if (m === null) return undefined
  const offset = Number(m[1])
  return Number.isSafeInteger(offset) ? { offset, mark: m[2] as string } : undefined
}
