/** The `copy:` section of a LogManager config: a list of copy jobs, checked at load time. */
import { ConfigError, invalidConfig } from '../config-error.js'
import { resolveCopyJob } from '../copy/options.js'
import type { CopyJobOptions } from '../copy/types.js'
import { duration } from '../options/schema.js'
import { configErrorReporter, validateOptions } from '../options/validate-options.js'

/** Python LogManager (start_hdfs_copy) parameter names and the option each one sets. */
const SNAKE: Record<string, string> = {
  copy_name: 'name',
  local_pattern: 'localPattern',
  hdfs_destination: 'destination',
  copy_interval: 'interval',
  create_dest_dirs: 'createDestDirs',
  preserve_structure: 'preserveStructure',
  max_retries: 'maxRetries',
  retry_delay: 'retryDelay',
  include_active: 'includeActive',
  settle_time: 'settleTime',
  state_dir: 'stateDir',
  state_path: 'statePath',
}
/** Snake_case durations given as bare numbers are seconds, as in the Python API. */
const SECONDS = new Set(['copy_interval', 'retry_delay', 'settle_time'])
const DURATIONS = new Set(['interval', 'retryDelay', 'settleTime'])
const IN_MS = duration()
const IN_SECONDS = duration({ numberUnit: 's' })
const report = configErrorReporter(() => 'is not a copy job option')

function prefixed(prefix: string, err: unknown): unknown {
  if (err instanceof ConfigError && err.key !== undefined) {
    const problem = err.message.slice(err.key.length + 2)
    return new ConfigError(problem, { key: `${prefix}.${err.key}`, cause: err.cause })
  }
  return err
}

function one(entry: unknown, at: string): CopyJobOptions {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalidConfig(at, 'must be a mapping of copy job options')
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(entry)) {
    const key = SNAKE[k] ?? k
    if (out[key] !== undefined) throw invalidConfig(`${at}.${k}`, `sets ${key} a second time`)
    out[key] = DURATIONS.has(key) ? validateOptions(SECONDS.has(k) ? IN_SECONDS : IN_MS, v, report, `${at}.${k}`) : v
  }
  const options = out as unknown as CopyJobOptions
  try {
    const resolved = resolveCopyJob(options)
    if (resolved.ownsDestination) void resolved.destination.close().catch(() => undefined)
  } catch (err) {
    throw prefixed(at, err)
  }
  return options
}

/** Checks every job (names unique) and returns them as CopyJobOptions. */
export function parseCopySection(value: unknown): CopyJobOptions[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) throw invalidConfig('copy', 'must be a list of copy jobs')
  const jobs = value.map((e, i) => one(e, `copy[${i}]`))
  const seen = new Set<string>()
  jobs.forEach((j, i) => {
    if (seen.has(j.name)) throw invalidConfig(`copy[${i}].name`, `'${j.name}' is used by another copy job`)
    seen.add(j.name)
  })
  return jobs
}
