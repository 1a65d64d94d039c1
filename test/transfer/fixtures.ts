/** Fixture trees for the transfer suites: written on local disk, read back as sha256 digests. */
import { createHash } from 'node:crypto'
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { FileSystem } from '../../ts/storage/index.js'

let trees = 0

/** Writes `files` under a fresh `<base>/src-N/logs`, mtimes one minute in the past; returns `<base>/src-N`. */
export function localTree(base: string, files: Map<string, Buffer>): string {
  const root = join(base, `src-${++trees}`)
  const past = new Date(Date.now() - 60_000)
  for (const [rel, data] of files) {
    const p = join(root, 'logs', rel)
    mkdirSync(dirname(p), { recursive: true })
    writeFileSync(p, data)
    utimesSync(p, past, past)
  }
  return root
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** The sha256 of each file of `files`, keyed by `prefix` + its path: what a copy of them holds. */
export const shas = (files: Map<string, Buffer>, prefix = ''): Map<string, string> => new Map([...files].map(([k, v]) => [prefix + k, sha256(v)]))

/** The sha256 of each file below `under` in `fs`, keyed by its path relative to `under`. */
export async function contents(fs: FileSystem, under = ''): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const e of await fs.ls(under, { recursive: true })) {
    if (e.kind === 'file') out.set(under ? e.path.slice(under.length + 1) : e.path, sha256(await fs.readFile(e.path)))
  }
  return out
}
