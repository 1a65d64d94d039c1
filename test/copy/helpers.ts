/** Helpers of the copy job suites: temp trees with old mtimes, a slow target, run tracking. */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll } from 'vitest'
import { MemoryFileSystem, type CopyJobRunner, type CopyRunResult, type MkdirOptions } from '../../ts/index.js'

const base = mkdtempSync(join(tmpdir(), 'logferry-copy-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))
let dirs = 0

export function tempDir(): string {
  const d = join(base, String(++dirs))
  mkdirSync(d, { recursive: true })
  return d
}

/** Writes `files` (relative path -> content) under `dir`, each modified one minute ago. */
export function writeTree(dir: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) writeOld(join(dir, rel), content)
}

/** Writes a file and sets its mtime `ageMs` in the past (so it counts as settled). */
export function writeOld(path: string, content: string, ageMs = 60_000): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, content)
  const t = new Date(Date.now() - ageMs)
  utimesSync(path, t, t)
}

/** A memory filesystem whose mkdir (called once per run that copies) takes `delayMs`. */
export class SlowMemory extends MemoryFileSystem {
  readonly delayMs: number
  constructor(delayMs: number) {
    super()
    this.delayMs = delayMs
  }
  override async mkdir(path: string, options?: MkdirOptions): Promise<void> {
    await new Promise((r) => setTimeout(r, this.delayMs))
    return super.mkdir(path, options)
  }
}

/** Collects run results and tracks how many runs were in progress at once. */
export function trackRuns(runner: CopyJobRunner): { results: CopyRunResult[]; maxConcurrent: () => number } {
  const results: CopyRunResult[] = []
  let current = 0
  let max = 0
  runner.on('runStart', () => {
    current++
    max = Math.max(max, current)
  })
  runner.on('runEnd', (r) => {
    current--
    results.push(r)
  })
  return { results, maxConcurrent: () => max }
}
