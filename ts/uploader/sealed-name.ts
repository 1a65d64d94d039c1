/**
 * Parsing the names the engine gives sealed files, `{stem}_{YYYY-MM-DD_HH-MM-SS}[_{n}].{ext}`
 * (UTC), and building the values object-name templates use.
 */
import { basename, extname } from 'node:path'

export interface SealedName {
  stem: string
  /** `YYYY-MM-DD_HH-MM-SS`, plus `_{n}` when several files were sealed within one second. */
  timestamp: string
  /** `YYYY-MM-DD`. */
  date: string
  /** Extension with its dot ('' when none). */
  ext: string
}

const SEALED = /^(.+)_(\d{4}-\d{2}-\d{2})_(\d{2}-\d{2}-\d{2})(_\d+)?(\.[^._]*)?$/

/** The parts of a sealed file's name, or undefined when the name is not a sealed one. */
export function parseSealedName(path: string): SealedName | undefined {
  const m = SEALED.exec(basename(path))
  if (!m) return undefined
  const [, stem = '', date = '', time = '', seq = '', ext = ''] = m
  return { stem, timestamp: `${date}_${time}${seq}`, date, ext }
}

/** `YYYY-MM-DD_HH-MM-SS` of a time, in UTC (the engine's stamp format). */
export function utcStamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}_${p(d.getUTCHours())}-${p(d.getUTCMinutes())}-${p(d.getUTCSeconds())}`
}

/** A name as if it were sealed now, for files enqueued by hand that carry no stamp. */
export function nameOfUnsealed(path: string, now: Date): SealedName {
  const ext = extname(path)
  const stamp = utcStamp(now)
  return { stem: basename(path, ext), timestamp: stamp, date: stamp.slice(0, 10), ext }
}

/** True when `name` is a sealed sibling of the active file `activePath` (same stem and extension). */
export function isSealedSiblingOf(name: string, activePath: string): boolean {
  const parsed = parseSealedName(name)
  const ext = extname(activePath)
  return parsed !== undefined && parsed.stem === basename(activePath, ext) && parsed.ext === ext
}
