/** The scratch space of one test file: a base directory removed after its tests. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'

export interface TempDirs {
  /** The file's own directory under the system temp directory. */
  base: string
  /** A new, empty directory under `base` (numbered, so each test gets its own). */
  dir: () => string
}

/** Creates the base directory (`prefix` + random suffix) and removes it after the file's tests. */
export function tempDirs(prefix: string): TempDirs {
  const base = mkdtempSync(join(tmpdir(), prefix))
  afterAll(() => rmSync(base, { recursive: true, force: true }))
  let n = 0
  return {
    base,
    dir: () => {
      const d = join(base, String(++n))
      mkdirSync(d)
      return d
    },
  }
}
