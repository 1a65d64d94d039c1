/** bandwidthLimit: '50MB/s', '512KiB/s', '10Mbit/s' or a number of bytes per second. */
import { invalidArg } from './errors.js'

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  bit: 1 / 8,
  kbit: 1e3 / 8,
  mbit: 1e6 / 8,
  gbit: 1e9 / 8,
}

const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*(?:\/\s*s)?\s*$/i

/** Bytes per second, or undefined for no limit. Throws ERR_INVALID_ARG naming the bad value. */
export function parseBandwidth(v: unknown): number | undefined {
  if (v === undefined) return undefined
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v <= 0) throw invalidArg('range', `bandwidthLimit must be a positive number of bytes per second, got ${v}`)
    return v
  }
  if (typeof v !== 'string') throw invalidArg('type', "bandwidthLimit must be a number (bytes/s) or a string like '50MB/s'")
  const m = PATTERN.exec(v)
  const unit = (m?.[2] ?? '').toLowerCase()
  const scale = unit === '' ? 1 : UNITS[unit]
  const n = Number(m?.[1])
  if (!m || scale === undefined || !(n > 0)) {
    throw invalidArg(
      'range',
      `bandwidthLimit '${v}' is not a rate: use a positive number with B, KB, MB, GB, KiB, MiB, GiB, kbit, Mbit or Gbit per second, e.g. '50MB/s'`,
    )
  }
  return n * scale
}
