/**
 * Files logferry's Logger sealed between two files a follower saw under the active name. A
 * follower follows by name, so a Logger that rotates twice before the follower wakes (a busy
 * process, a small maxFileSize) would make it skip the file in between; the engine's sealed
 * names (`{stem}_{stamp}[_{n}]{ext}`, crates/core/src/sealed_name.rs) give their order, so those
 * files are found and read in order. For other rotation schemes nothing is found (as `tail -F`).
 */
import { readdir, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { isSealedSiblingOf, parseSealedName } from '../../uploader/sealed-name.js'

interface FileId {
  ino: number
  dev: number
}

/** Looked at, newest first, before giving up on finding the file followed before. */
const MAX_LOOKED_AT = 64

/**
 * Paths of the sealed siblings of `activePath` sealed after the file `before` (which must be one
 * of them) and that are not `now`, oldest first; [] when `before` is not among them.
 */
export async function sealedBetween(activePath: string, before: FileId, now: FileId): Promise<string[]> {
  const dir = dirname(activePath)
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return []
  }
  const active = basename(activePath)
  const sealed = names
    .filter((n) => n !== active && isSealedSiblingOf(n, activePath))
    .map((n) => ({ n, s: parseSealedName(n) }))
    .filter((x): x is { n: string; s: NonNullable<typeof x.s> } => x.s !== undefined)
    .sort((a, b) => b.s.sealedAt - a.s.sealedAt || b.s.seq - a.s.seq)
  const newer: string[] = []
  for (const { n } of sealed.slice(0, MAX_LOOKED_AT)) {
    let st
    try {
      st = await stat(join(dir, n))
    } catch {
      continue
    }
    if (st.ino === before.ino && st.dev === before.dev) return newer.reverse().map((x) => join(dir, x))
    if (st.ino !== now.ino || st.dev !== now.dev) newer.push(n)
  }
  return []
}
