/** Query parameter values that JSON Schema cannot check alone: times and globs. */
import { globToRegExp } from '../../storage/glob.js'
import { badParam } from './errors.js'

/**
 * A time given as ISO 8601 (`2026-12-01T10:00:00Z`, `2026-12-01`) or as an epoch number: below
 * 1e11 seconds, below 1e14 milliseconds, below 1e17 microseconds, else nanoseconds (Loki's
 * convention of guessing the unit from the magnitude). Returns epoch milliseconds.
 */
/** The range of a JavaScript Date. */
const MAX_TIME_MS = 8.64e15

export function parseTime(param: string, value: string): number {
  const v = value.trim()
  if (/^-?\d+(\.\d+)?$/.test(v)) {
    const n = Number(v)
    const a = Math.abs(n)
    const ms = a < 1e11 ? n * 1000 : a < 1e14 ? n : a < 1e17 ? n / 1e3 : n / 1e6
    if (!(Math.abs(ms) <= MAX_TIME_MS)) throw badParam(param, `out of range: ${JSON.stringify(value)}`)
    return ms
  }
  // Date.parse takes many shapes; ask for ISO 8601 so `since=tuesday` is not a guess.
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v))
    throw badParam(param, `expected an ISO 8601 time or an epoch number, got ${JSON.stringify(value)}`)
  const ms = Date.parse(v)
  if (Number.isNaN(ms)) throw badParam(param, `not a valid time: ${JSON.stringify(value)}`)
  return ms
}

/** A glob on file names, checked to compile (ts/storage/glob.ts is the one glob syntax). */
export function checkNameGlob(value: string): string {
  if (value.includes('/')) throw badParam('name', 'a glob on the file name, without /')
  try {
    globToRegExp(value)
  } catch (err) {
    throw badParam('name', `not a valid glob: ${(err as Error).message}`)
  }
  return value
}
