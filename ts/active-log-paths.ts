// Which files logferry Loggers in this process are writing right now. Copy jobs consult it so
// they never ship a file the engine is still appending to (unless asked to).
import { resolve } from 'node:path'

const active = new Map<string, number>()

/** Called by a Logger when it opens `path`. Counted: two loggers on one path need two closes. */
export function registerActiveLogPath(path: string): void {
  const p = resolve(path)
  active.set(p, (active.get(p) ?? 0) + 1)
}

/** Called by a Logger when it closes `path`. */
export function unregisterActiveLogPath(path: string): void {
  const p = resolve(path)
  const n = (active.get(p) ?? 0) - 1
  if (n > 0) active.set(p, n)
  else active.delete(p)
}

/** True while a Logger of this process has `path` open as its active file. */
export function isActiveLogPath(path: string): boolean {
  return active.has(resolve(path))
}

/** Absolute paths of every active log file of this process. */
export function activeLogPaths(): string[] {
  return [...active.keys()].sort()
}
