/** Fixture trees on local disk for the transfer suites. */
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

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
