/**
 * `logferry transfer SRC... DEST [options]`: transferFiles from the command line, with a
 * progress bar on a terminal and the report as a table (or JSON with --json).
 * Exit status: 0 all files copied or skipped, 1 some failed, 2 bad usage, 130 interrupted.
 */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { TransferAbortError, transferFiles, type FileReport, type TransferOptions, type TransferProgress, type TransferReport } from '../transfer/index.js'
import { filesystem, type FileSystem } from '../storage/index.js'
import { formatBytes, formatDuration, formatRate, table } from './format.js'
import { ProgressBar } from './progress-bar.js'
import { isUrl, splitLocation } from './source-spec.js'

export const TRANSFER_USAGE = `usage: logferry transfer SRC... DEST [options]
  SRC and DEST are local paths or URLs (s3://bucket/dir, gs://, az://, webhdfs://host:port/dir,
  sftp://user@host/dir, file:///dir); SRC may be a glob (quote it) or a directory.
  --method M            auto | storage | distcp | hdfs-put | hdfs-cp | scp   (default auto)
  --concurrency N       files copied at once (default 4)
  --overwrite P         ifChanged | always | never                          (default ifChanged)
  --no-verify           do not compare checksums after each copy
  --retries N           retries per file on transient errors (default 3)
  --retry-delay MS      base delay of the exponential backoff (default 1000)
  --bandwidth-limit R   e.g. 50MB/s
  --compress C          gzip | zstd
  --flat                keep only file names (default: keep paths below each glob's base)
  --delete-source       delete each source file after its verified copy
  --dry-run             plan and report, copy nothing
  --json                print the report as JSON on stdout
  --progress            print progress lines even when stderr is not a terminal
  --quiet               no progress, no table (exit status only)`

class UsageError extends Error {}

const OPTIONS = {
  method: { type: 'string' },
  concurrency: { type: 'string' },
  overwrite: { type: 'string' },
  'no-verify': { type: 'boolean' },
  retries: { type: 'string' },
  'retry-delay': { type: 'string' },
  'bandwidth-limit': { type: 'string' },
  compress: { type: 'string' },
  flat: { type: 'boolean' },
  'delete-source': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  progress: { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

function integer(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number, got '${v}'`)
  return Number(v)
}

/** The local paths made absolute; URLs unchanged. */
function absolute(location: string): string {
  return isUrl(location) ? location : resolve(location)
}

/** Sources grouped by the filesystem they live on, in command-line order. */
function groupSources(sources: readonly string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>()
  for (const s of sources) {
    const { filesystem, path } = splitLocation(absolute(s))
    const g = groups.get(filesystem)
    if (g) g.push(path)
    else groups.set(filesystem, [path])
  }
  return groups
}

/**
 * What the first endpoint without credentials looked for, or undefined: asked of each storage
 * URL before any copy (FileSystem.missingCredentials), so missing credentials are one error
 * naming where they were looked for, not the same failure for every file.
 */
async function missingCredentials(locations: readonly string[]): Promise<string | undefined> {
  for (const location of new Set(locations.filter(isUrl))) {
    let fs: FileSystem
    try {
      fs = filesystem(location)
    } catch {
      continue // a bad URL is reported by the transfer itself, with its file
    }
    try {
      const missing = await fs.missingCredentials?.()
      if (missing) return missing
    } finally {
      await fs.close()
    }
  }
  return undefined
}

function errorInfo(e: Error | undefined): { code: string; message: string } | undefined {
  if (!e) return undefined
  const code = (e as Error & { code?: unknown }).code
  return { code: typeof code === 'string' ? code : 'ERR', message: e.message }
}

function merge(reports: readonly TransferReport[], durationMs: number): TransferReport {
  const files = reports.flatMap((r) => r.files)
  const sum = (k: 'files' | 'copied' | 'skipped' | 'failed' | 'dryRun' | 'deleted' | 'bytes'): number => reports.reduce((n, r) => n + r.totals[k], 0)
  return {
    ok: reports.every((r) => r.ok),
    files,
    totals: {
      files: sum('files'),
      copied: sum('copied'),
      skipped: sum('skipped'),
      failed: sum('failed'),
      dryRun: sum('dryRun'),
      deleted: sum('deleted'),
      bytes: sum('bytes'),
      durationMs,
    },
  }
}

/** `where` joined with a path relative to it, for display. */
function joinDisplay(where: string, path: string): string {
  return `${where.replace(/\?.*$/, '').replace(/\/+$/, '')}/${path}`
}

function printTable(report: TransferReport): void {
  const rows = report.files.map((f: FileReport) => [
    f.outcome,
    f.method,
    formatBytes(f.bytes),
    formatDuration(f.durationMs),
    String(f.attempts),
    `${f.source} -> ${f.target}`,
    f.error ? (f.error.message.startsWith(errorInfo(f.error)?.code ?? '') ? f.error.message : `${errorInfo(f.error)?.code}: ${f.error.message}`) : '',
  ])
  process.stdout.write(`${table(['outcome', 'method', 'bytes', 'time', 'tries', 'file', 'error'], rows, new Set([2, 3, 4]))}\n`)
  const t = report.totals
  process.stdout.write(
    `\n${t.files} files: ${t.copied} copied, ${t.skipped} skipped, ${t.failed} failed` +
      `${t.dryRun ? `, ${t.dryRun} planned (dry run)` : ''}; ${formatBytes(t.bytes)} in ${formatDuration(t.durationMs)}` +
      ` (${formatRate(t.bytes, t.durationMs)})\n`,
  )
}

function jsonReport(report: TransferReport, aborted: boolean): string {
  const files = report.files.map((f) => ({ ...f, error: errorInfo(f.error) }))
  return `${JSON.stringify({ ok: report.ok && !aborted, aborted, totals: report.totals, files }, null, 2)}\n`
}

/** A progress sink: a redrawn bar on a TTY, or a line every 2 s with --progress elsewhere. */
function progressSink(values: { json?: boolean; quiet?: boolean; progress?: boolean }): {
  update: (p: TransferProgress) => void
  done: () => void
} {
  const none = { update: () => undefined, done: () => undefined }
  if (values.quiet) return none
  if (process.stderr.isTTY && !values.json) {
    const bar = new ProgressBar(process.stderr)
    return { update: (p) => bar.update(p), done: () => bar.done() }
  }
  if (!values.progress) return none
  let last = 0
  const started = Date.now()
  return {
    update: (p) => {
      const now = Date.now()
      if (now - last < 2000 && p.filesDone < p.filesTotal) return
      last = now
      process.stderr.write(
        `progress: ${p.filesDone}/${p.filesTotal} files, ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}, ${formatRate(p.bytesDone, now - started)}\n`,
      )
    },
    done: () => undefined,
  }
}

export async function transferCommand(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (e) {
    process.stderr.write(`logferry transfer: ${(e as Error).message}\n${TRANSFER_USAGE}\n`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help) {
    process.stdout.write(`${TRANSFER_USAGE}\n`)
    return 0
  }
  let groups: Map<string, string[]>
  let options: Omit<TransferOptions, 'files' | 'source'>
  try {
    if (positionals.length < 2) throw new UsageError('give at least one SRC and a DEST')
    const dest = positionals[positionals.length - 1] as string
    groups = groupSources(positionals.slice(0, -1))
    options = {
      target: absolute(dest),
      method: values.method as TransferOptions['method'],
      concurrency: integer(values.concurrency, 'concurrency'),
      overwrite: values.overwrite as TransferOptions['overwrite'],
      verify: values['no-verify'] ? false : undefined,
      retries: integer(values.retries, 'retries'),
      retryDelay: integer(values['retry-delay'], 'retry-delay'),
      bandwidthLimit: values['bandwidth-limit'],
      compress: values.compress as TransferOptions['compress'],
      preserveStructure: values.flat ? false : undefined,
      deleteSource: values['delete-source'],
      dryRun: values['dry-run'],
    }
  } catch (e) {
    process.stderr.write(`logferry transfer: ${(e as Error).message}\n${TRANSFER_USAGE}\n`)
    return 2
  }

  const missing = await missingCredentials([...groups.keys(), options.target as string])
  if (missing) {
    process.stderr.write(`logferry transfer: ERR_NO_CREDENTIALS: ${missing}\n`)
    return 2
  }

  const controller = new AbortController()
  const onSignal = (): void => controller.abort(new Error('interrupted'))
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const sink = progressSink(values)
  const started = Date.now()
  const reports: TransferReport[] = []
  let aborted = false
  try {
    let base: TransferProgress = { bytesDone: 0, bytesTotal: 0, filesDone: 0, filesTotal: 0 }
    for (const [source, paths] of groups) {
      const offset = base
      let last = offset
      const shown = (r: TransferReport): TransferReport => ({
        ...r,
        files: r.files.map((f) => ({
          ...f,
          source: joinDisplay(source === 'file:///' ? '' : source, f.source),
          target: joinDisplay(options.target as string, f.target),
        })),
      })
      try {
        reports.push(
          shown(await transferFiles({
            ...options,
            source,
            files: paths,
            signal: controller.signal,
            onProgress: (p) => {
              last = {
                bytesDone: offset.bytesDone + p.bytesDone,
                bytesTotal: offset.bytesTotal + p.bytesTotal,
                filesDone: offset.filesDone + p.filesDone,
                filesTotal: offset.filesTotal + p.filesTotal,
              }
              sink.update(last)
            },
          })),
        )
      } catch (e) {
        if (!(e instanceof TransferAbortError)) throw e
        if (e.report) reports.push(shown(e.report))
        aborted = true
        break
      }
      base = last
    }
  } catch (e) {
    sink.done()
    const code = (e as Error & { code?: unknown }).code
    process.stderr.write(`logferry transfer: ${typeof code === 'string' ? `${code}: ` : ''}${(e as Error).message}\n`)
    return code === 'ERR_INVALID_ARG' || code === 'EINVAL' ? 2 : 1
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  sink.done()
  const report = merge(reports, Date.now() - started)
  if (values.json) process.stdout.write(jsonReport(report, aborted))
  else if (!values.quiet) printTable(report)
  if (aborted) {
    process.stderr.write('logferry transfer: interrupted; the report lists what was done\n')
    return 130
  }
  return report.ok ? 0 : 1
}
