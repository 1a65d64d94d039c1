/** bandwidthLimit: '50MB/s', '512KiB/s', '10Mbit/s' or a number of bytes per second. */
import { rate } from '../options/schema.js'
import { invalidArgReporter, validateOptions } from '../options/validate-options.js'

const report = invalidArgReporter()

/** Bytes per second, or undefined for no limit. Throws ERR_INVALID_ARG naming the bad value. */
export function parseBandwidth(v: unknown): number | undefined {
  return v === undefined ? undefined : validateOptions(rate(), v, report, 'bandwidthLimit')
}
