/** Durations in config: "1 week", "3 days", "12h", "30s", "250 ms". */
import { invalidConfig } from '../config-error.js'

const UNITS: Record<string, number> = {
  ms: 1, millisecond: 1, milliseconds: 1,
  s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hrs: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
  w: 604_800_000, week: 604_800_000, weeks: 604_800_000,
}

/**
 * Milliseconds from a duration string. A bare number means `numberUnit` (ms unless the key's
 * documentation says seconds, like the Python-style copy_interval).
 */
export function parseDuration(key: string, value: unknown, numberUnit: 'ms' | 's' = 'ms'): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) {
    return Math.round(value * (numberUnit === 's' ? 1000 : 1))
  }
  const m = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(value) : null
  const unit = m ? UNITS[(m[2] ?? '').toLowerCase()] : undefined
  if (!m || unit === undefined) {
    throw invalidConfig(key, `${JSON.stringify(value)} is not a duration like "1 week", "3 days", "12h" or "30s"`)
  }
  return Math.round(Number(m[1]) * unit)
}
