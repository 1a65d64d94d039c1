/** Sizes in config: "10 MB", "512KiB", "1GB", or a number of bytes. */
import { invalidConfig } from '../config-error.js'

const UNITS: Record<string, number> = {
  b: 1, byte: 1, bytes: 1,
  kb: 1e3, k: 1e3, mb: 1e6, m: 1e6, gb: 1e9, g: 1e9, tb: 1e12, t: 1e12,
  kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40,
}

/** Bytes (an integer). KB/MB/GB/TB are powers of 1000, KiB/MiB/GiB/TiB powers of 1024. */
export function parseSize(key: string, value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value
  const m = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)?\s*$/i.exec(value) : null
  const unit = m ? UNITS[(m[2] ?? 'b').toLowerCase()] : undefined
  if (!m || unit === undefined) {
    throw invalidConfig(key, `${JSON.stringify(value)} is not a size like "10 MB", "512 KiB" or a number of bytes`)
  }
  return Math.round(Number(m[1]) * unit)
}
