/**
 * `logferry collect run|fetch|extract|recover|status` (docs/collect.md). Exit status: 0 every
 * file went through, 1 some file or server failed (error folders), 2 bad usage or an invalid
 * configuration. Events are logged through logferry's Logger into LOG_DIR/collect.log (JSON
 * lines; LOG_FORMAT=text: a template), with a short human line for each on stderr.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { WriteStream } from 'node:tty'
import { parseArgs } from 'node:util'
import type { Collector, CollectEvent, FileOutcome, PassProgress, PassSummary } from '../collect/collector.js'
import { ProgressBar } from './progress-bar.js'
import type { ErrorType } from '../collect/state.js'
import type { StructuredLogger } from '../log-manager/structured-logger.js'

/** LOG_FORMAT=text: one line per event in the log file. */
const LOG_TEMPLATE = '{time} {level} {name} {message}{extra}'

export const COLLECT_USAGE = `usage: logferry collect COMMAND [options]
  run [--no-incoming] [--sequential] [--interval SECONDS]
                          one pass over every enabled server (a daemon with --interval)
  fetch SERVER /remote/file.gz
                          one remote file through the whole pipeline
  extract FILE [SERVER]   a local compressed file through extraction (server default 'local')
  recover [--error-type copy|extract|quarantine] [--server NAME]
                          move files back from the error folders and run them again
  status [--json]         files per server and state
options:
  --config-dir DIR        the directory of .env, sources.conf, pipeline.conf (default conf)
  --quiet                 no event lines on stderr (the log file in LOG_DIR still gets them)
  --metrics-file FILE     run/recover: write Prometheus metrics (text format) after each pass
  --metrics-port PORT     run --interval: serve them on http://HOST:PORT/metrics
  --metrics-host HOST     the address of --metrics-port (default 127.0.0.1)
exit status: 0 all good, 1 some files failed, 2 bad usage or configuration`

const OPTIONS = {
  'config-dir': { type: 'string' },
  'no-incoming': { type: 'boolean' },
  sequential: { type: 'boolean' },
  interval: { type: 'string' },
  'error-type': { type: 'string' },
  server: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  'metrics-file': { type: 'string' },
  'metrics-port': { type: 'string' },
  'metrics-host': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

function usageError(msg: string): number {
  process.stderr.write(`logferry collect: ${msg}\n${COLLECT_USAGE}\n`)
  return 2
}

function summaryLine(s: PassSummary): string {
  return `listed ${s.listed}, copied ${s.copied}, extracted ${s.extracted}, processed ${s.processed} (duplicates ${s.duplicates}); skipped: done ${s.skippedDone}, settling ${s.settling}, in error ${s.inError}; failed ${s.failed.length}`
}

function outcomeCode(o: FileOutcome): number {
  return o.state === 'error' ? 1 : 0
}

export async function collectCommand(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true; strict: true }>>
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (err) {
    return usageError((err as Error).message)
  }
  const v = parsed.values
  const [sub, ...pos] = parsed.positionals
  if (v.help || sub === undefined) {
    process.stdout.write(`${COLLECT_USAGE}\n`)
    return sub === undefined && !v.help ? 2 : 0
  }
  const errorType = v['error-type']
  if (errorType !== undefined && !['copy', 'extract', 'quarantine'].includes(errorType)) return usageError(`--error-type must be copy, extract or quarantine, got '${errorType}'`)
  let interval: number | undefined
  if (v.interval !== undefined) {
    interval = Number(v.interval)
    if (!Number.isFinite(interval) || interval <= 0) return usageError(`--interval must be a positive number of seconds, got '${v.interval}'`)
  }
  let metricsPort: number | undefined
  if (v['metrics-port'] !== undefined) {
    metricsPort = Number(v['metrics-port'])
    if (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535) return usageError(`--metrics-port must be a port number (0-65535), got '${v['metrics-port']}'`)
    if (sub !== 'run' || interval === undefined) return usageError('--metrics-port needs run --interval (a one-off pass has --metrics-file)')
  }
  if (v['metrics-host'] !== undefined && metricsPort === undefined) return usageError('--metrics-host needs --metrics-port')
  const arity: Record<string, [number, number]> = { run: [0, 0], fetch: [2, 2], extract: [1, 2], recover: [0, 0], status: [0, 0] }
  const a = arity[sub]
  if (!a) return usageError(`unknown command '${sub}'`)
  if (pos.length < a[0] || pos.length > a[1]) return usageError(`'${sub}' takes ${a[0] === a[1] ? a[0] : `${a[0]} to ${a[1]}`} argument(s), got ${pos.length}`)

  const metricsFile = v['metrics-file']
  const metrics = async (c: Collector, s: PassSummary, started: number): Promise<void> => {
    if (metricsFile === undefined) return
    const { metricsText, writeMetricsFile } = await import('../collect/metrics.js')
    await writeMetricsFile(metricsFile, await metricsText(c.status(), s, (Date.now() - started) / 1000))
  }
  const { loadCollectConfig } = await import('../collect/config.js')
  const { createCollector } = await import('../collect/collector.js')
  let collector: Collector
  let log: StructuredLogger | undefined
  let bar: ProgressBar | undefined
  let showBar = false
  try {
    const config = loadCollectConfig(v['config-dir'] ?? 'conf')
    if (sub !== 'status') {
      // The events go through logferry's own Logger into LOG_DIR (rotated, old files pruned).
      const { structuredLogger } = await import('../log-manager/structured-logger.js')
      mkdirSync(config.logDir, { recursive: true })
      log = structuredLogger({
        sink: join(config.logDir, 'collect.log'),
        name: 'logferry.collect',
        ...(config.logFormat === 'text' ? { format: LOG_TEMPLATE } : { json: { levels: 'label', time: 'iso', timeKey: 'timestamp', nameKey: 'logger', messageKey: 'message', base: null } }),
        rotation: '100 MB',
        retention: 10,
      })
    }
    const logger = log
    // The transfer CLI's progress bar, on a TTY only and not with --json (a pass of `run`).
    showBar = sub === 'run' && process.stderr.isTTY === true && !v.json
    const onEvent = (e: CollectEvent): void => {
      const { level, message, ...fields } = e
      logger?.[level](fields, message)
      // A human line on stderr beside the file (--quiet: none); under a bar only warnings and errors.
      if (v.quiet || (bar !== undefined && level === 'info')) return
      if (bar !== undefined) process.stderr.write('\r\x1b[K')
      process.stderr.write(`${level.toUpperCase().padEnd(5)} ${e.server ?? '-'} ${e.operation}${e.file ? ` ${e.file}` : ''}: ${message}\n`)
    }
    // status reads a view of the state, so it works while a run (or a daemon) holds the store.
    collector = createCollector(config, { onEvent, readOnly: sub === 'status' })
  } catch (err) {
    await log?.close()
    const code = (err as { code?: string }).code
    process.stderr.write(`logferry collect: ${code && code !== 'ERR_INVALID_CONFIG' ? `${code}: ` : ''}${(err as Error).message}\n`)
    return code === 'ERR_INVALID_CONFIG' ? 2 : 1
  }
  try {
    switch (sub) {
      case 'run': {
        let lastPass: { summary: PassSummary; seconds: number } | undefined
        const once = async (): Promise<number> => {
          const started = Date.now()
          // One bar per pass (its rate counts from the pass's start).
          if (showBar) bar = new ProgressBar(process.stderr as WriteStream)
          const s = await collector.run({ noIncoming: v['no-incoming'] === true, sequential: v.sequential === true, ...(bar ? { onProgress: (p: PassProgress) => bar?.update(p, p.filesDone === p.filesTotal) } : {}) })
          bar?.done()
          bar = undefined
          lastPass = { summary: s, seconds: (Date.now() - started) / 1000 }
          await metrics(collector, s, started)
          process.stdout.write(v.json ? `${JSON.stringify(s)}\n` : `${summaryLine(s)}\n`)
          return s.failed.length > 0 ? 1 : 0
        }
        if (interval === undefined) return await once()
        let stop = false
        const onSig = (): void => {
          stop = true
        }
        process.once('SIGINT', onSig)
        process.once('SIGTERM', onSig)
        const c = collector
        const server =
          metricsPort === undefined
            ? undefined
            : await (await import('../collect/metrics-server.js')).startMetricsServer({ status: () => c.status(), lastPass: () => lastPass }, metricsPort, v['metrics-host'])
        if (server) process.stderr.write(`metrics on ${server.url}\n`)
        let code = 0
        try {
          while (!stop) {
            code = await once()
            const until = Date.now() + interval * 1000
            while (!stop && Date.now() < until) await new Promise((r) => setTimeout(r, Math.min(250, until - Date.now())))
          }
        } finally {
          await server?.close()
        }
        return code
      }
      case 'fetch': {
        const o = await collector.fetch(pos[0] as string, pos[1] as string)
        process.stdout.write(`${JSON.stringify(o)}\n`)
        return outcomeCode(o)
      }
      case 'extract': {
        const o = await collector.extract(pos[0] as string, pos[1])
        process.stdout.write(`${JSON.stringify(o)}\n`)
        return outcomeCode(o)
      }
      case 'recover': {
        const started = Date.now()
        const r = await collector.recover({ ...(errorType ? { errorType: errorType as ErrorType } : {}), ...(v.server ? { server: v.server } : {}) })
        await metrics(collector, r.summary, started)
        process.stdout.write(v.json ? `${JSON.stringify(r)}\n` : `recovered ${r.recovered}; ${summaryLine(r.summary)}\n`)
        return r.summary.failed.length > 0 ? 1 : 0
      }
      default: {
        const rows = collector.status()
        if (v.json) {
          process.stdout.write(`${JSON.stringify(rows)}\n`)
        } else {
          const states = ['pending', 'copied', 'extracted', 'processed', 'error'] as const
          const w = Math.max(6, ...rows.map((r) => r.server.length))
          process.stdout.write(`${'server'.padEnd(w)}  ${states.map((s) => s.padStart(9)).join(' ')}\n`)
          for (const r of rows) process.stdout.write(`${r.server.padEnd(w)}  ${states.map((s) => String(r.counts[s]).padStart(9)).join(' ')}\n`)
        }
        return 0
      }
    }
  } catch (err) {
    const code = (err as { code?: string }).code
    process.stderr.write(`logferry collect: ${code ? `${code}: ` : ''}${(err as Error).message}\n`)
    return code === 'ERR_INVALID_ARG' || code === 'ERR_INVALID_CONFIG' ? 2 : 1
  } finally {
    await collector.close()
    await log?.close()
  }
}
