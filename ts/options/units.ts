/**
 * Quantities in options and config: sizes ("10 MB", "512KiB"), rates ("50MB/s", "100Mbit/s")
 * and durations ("1 week", "30s", "250 ms"). One unit table for sizes and rates: KB/MB/GB/TB are
 * powers of 1000, KiB/MiB/GiB/TiB powers of 1024, bit units (rates only) an eighth of a byte.
 */

const BYTE_UNITS: Record<string, number> = {
  b: 1, byte: 1, bytes: 1,
  k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40,
}
const BIT_UNITS: Record<string, number> = { bit: 1 / 8, kbit: 1e3 / 8, mbit: 1e6 / 8, gbit: 1e9 / 8 }

const QUANTITY = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*(\/\s*s)?\s*$/i

/** Bytes (rounded to an integer) of a size string, or undefined when it is not one. */
export function sizeOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined
  const m = typeof value === 'string' ? QUANTITY.exec(value) : null
  if (!m || m[3] !== undefined) return undefined
  const unit = BYTE_UNITS[(m[2] || 'b').toLowerCase()]
  return unit === undefined ? undefined : Math.round(Number(m[1]) * unit)
}

export const SIZE_HINT = 'a size like "10 MB", "512 KiB" or a number of bytes'

/** Bytes per second (> 0) of a rate: a number, or a string like '50MB/s' (the '/s' is optional). */
export function rateOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : undefined
  const m = typeof value === 'string' ? QUANTITY.exec(value) : null
  if (!m) return undefined
  const unit = (m[2] ?? '').toLowerCase()
  const scale = unit === '' ? 1 : (BYTE_UNITS[unit] ?? BIT_UNITS[unit])
  const n = Number(m[1])
  return scale === undefined || !(n > 0) ? undefined : n * scale
}

export const RATE_HINT = "a positive number with B, KB, MB, GB, KiB, MiB, GiB, kbit, Mbit or Gbit per second, e.g. '50MB/s'"

const TIME_UNITS: Record<string, number> = {
  ms: 1, millisecond: 1, milliseconds: 1,
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hrs: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
  w: 604_800_000, week: 604_800_000, weeks: 604_800_000,
}

/**
 * Milliseconds of a duration string ("1 week", "12h"), or of a bare number in `numberUnit`
 * (ms, or seconds for the Python-style keys); undefined when it is not a duration.
 */
export function durationOf(value: unknown, numberUnit: 'ms' | 's' = 'ms'): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value * (numberUnit === 's' ? 1000 : 1)) : undefined
  const m = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(value) : null
  const unit = m ? TIME_UNITS[(m[2] ?? '').toLowerCase()] : undefined
  return m && unit !== undefined ? Math.round(Number(m[1]) * unit) : undefined
}

export const DURATION_HINT = 'a duration like "1 week", "3 days", "12h" or "30s"'
