/**
 * `logferry copy --config FILE`: runs the config's copy jobs in the foreground until SIGINT or
 * SIGTERM, printing one line per run. Exit status: 0 stopped cleanly (or, with --once, every
 * file copied), 1 a job did not stop in time (or, with --once, some file failed), 2 bad usage
 * or an invalid config.
 */
import { parseArgs } from 'node:util'
import { CopyJobRunner } from '../copy/copy-job-runner.js'
import type { CopyJobOptions, CopyRunResult } from '../copy/types.js'
import { loadConfigFile } from '../log-manager/load-config.js'
import { waitForStopSignal } from './stop-signal.js'

export const COPY_USAGE = `usage: logferry copy --config FILE [options]
  Runs the copy jobs of the config's copy: section (see docs/copy-jobs.md) until SIGINT/SIGTERM.
  --config FILE     YAML config with a copy: list (formats/handlers/loggers are ignored)
  --once            run every job once, then exit (status 1 if a file failed)
  --timeout MS      how long to wait for runs in progress when stopping (default 10000)
  --json            print one JSON object per run instead of a text line`

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  once: { type: 'boolean' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

function line(r: CopyRunResult): string {
  const head = `${r.startedAt.toISOString()} copy ${r.name}: copied ${r.copied} file(s), ${r.bytes} bytes; unchanged ${r.unchanged}, active ${r.active}, failed ${r.failed}`
  const tail = r.aborted ? ' (aborted)' : ''
  return `${head}${tail}${r.error ? ` - ${r.error.message}` : ''} [${r.durationMs} ms]`
}

function json(r: CopyRunResult): string {
  return JSON.stringify({ ...r, startedAt: r.startedAt.toISOString(), error: r.error?.message })
}

export async function copyCommand(args: string[]): Promise<number> {
  let values: { config?: string; once?: boolean; timeout?: string; json?: boolean; help?: boolean }
  try {
    values = parseArgs({ args, options: OPTIONS, allowPositionals: false, strict: true }).values
  } catch (err) {
    process.stderr.write(`logferry copy: ${(err as Error).message}\n${COPY_USAGE}\n`)
    return 2
  }
  if (values.help) {
    process.stdout.write(`${COPY_USAGE}\n`)
    return 0
  }
  if (!values.config) {
    process.stderr.write(`logferry copy: --config FILE is required\n${COPY_USAGE}\n`)
    return 2
  }
  if (values.timeout !== undefined && !/^\d+$/.test(values.timeout)) {
    process.stderr.write(`logferry copy: --timeout must be a whole number of ms, got '${values.timeout}'\n`)
    return 2
  }
  const timeout = values.timeout === undefined ? 10_000 : Number(values.timeout)
  let jobs: CopyJobOptions[]
  try {
    jobs = loadConfigFile(values.config).copy
  } catch (err) {
    process.stderr.write(`logferry copy: ${(err as Error).message}\n`)
    return 2
  }
  if (jobs.length === 0) {
    process.stderr.write(`logferry copy: ${values.config} has no jobs in its copy: section\n`)
    return 2
  }

  const runner = new CopyJobRunner({ keepAlive: true })
  let failedFiles = 0
  runner.on('runEnd', (r) => {
    failedFiles += r.failed
    process.stdout.write(`${values.json ? json(r) : line(r)}\n`)
  })
  runner.on('warning', (err) => process.stderr.write(`logferry copy: ${err.message}\n`))
  const signal = values.once ? undefined : waitForStopSignal()
  try {
    // --once: no timers, so a run slower than the interval is not followed by a second one.
    for (const job of jobs) runner.start(job, { timer: !values.once })
  } catch (err) {
    await runner.stopAll({ timeout })
    process.stderr.write(`logferry copy: ${(err as Error).message}\n`)
    return 2
  }

  if (values.once) {
    await Promise.all(jobs.map((j) => runner.runNow(j.name)))
    await runner.stopAll({ timeout })
    return failedFiles > 0 ? 1 : 0
  }
  process.stderr.write(`logferry copy: ${jobs.length} job(s) running (${jobs.map((j) => j.name).join(', ')}); SIGINT or SIGTERM stops\n`)
  const sig = await signal
  process.stderr.write(`logferry copy: ${sig}: stopping (waiting up to ${timeout} ms for runs in progress)\n`)
  const notStopped = await runner.stopAll({ timeout })
  if (notStopped.length > 0) {
    process.stderr.write(`logferry copy: did not stop in time: ${notStopped.join(', ')}\n`)
    return 1
  }
  process.stderr.write('logferry copy: stopped\n')
  return 0
}
