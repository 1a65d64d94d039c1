/**
 * `logferry transfer SRC... DEST [options]`: transferFiles from the command line, with a
 * progress bar on a terminal and the report as a table (or JSON with --json); `--check` reports
 * which methods could copy, without copying (checkTransfer). The seed's switches and variables
 * (transfer-seed-switches.ts) fill in SRC, DEST and the method.
 * Exit status: 0 all files copied or skipped (--check: some method works), 1 some failed (--check:
 * none works), 2 bad usage, 130 interrupted.
 */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { ConfigError } from '../config-error.js'
import { checkTransfer, TransferAbortError, transferFiles, type ConcreteMethod, type FileReport, type TransferCheck, type TransferOptions, type TransferProgress, type TransferReport } from '../transfer/index.js'
import { filesystem, type FileSystem } from '../storage/index.js'
import { formatBytes, formatDuration, formatRate, table } from './format.js'
import { ProgressBar } from './progress-bar.js'
import { isUrl, splitLocation } from './source-spec.js'
import { readSeedEnv, seedLocations, seedMethod, UsageError } from './transfer-seed-switches.js'

/** The methods as --help lists them, in the order 'auto' tries them. */
const METHOD_TABLE: Record<ConcreteMethod, readonly [tool: string, copies: string, seed: string]> = {
  distcp: ['hadoop distcp', 'local or HDFS -> HDFS, one job (also cluster -> cluster)', '--use-distcp, USE_DISTCP=true'],
  'hdfs-put': ['hadoop fs -put', 'local -> HDFS', "hdfs dfs -put (the seed's no-distcp path)"],
  'hdfs-cp': ['hadoop fs -cp', 'HDFS -> HDFS or local', 'hdfs dfs -cp (its fallback)'],
  scp: ['OpenSSH scp', 'local -> SFTP/SSH', 'scp (the last fallback)'],
  storage: ['none (streams)', 'any -> any: local, S3, GCS, Azure, HDFS, SFTP', 'fsspec; --no-distcp, USE_DISTCP=false'],
}
const METHODS_HELP = table(
  ['method', 'tool', 'copies', 'seed equivalent'],
  (Object.keys(METHOD_TABLE) as ConcreteMethod[]).map((m) => [m, ...METHOD_TABLE[m]]),
)
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')

export const TRANSFER_USAGE = `usage: logferry transfer SRC... DEST [options]
       logferry transfer --check SRC DEST [--json]
  SRC and DEST are local paths or URLs (s3://bucket/dir, gs://, az://, webhdfs://host:port/dir,
  hdfs://namenode:8020/dir, sftp://user@host/dir, file:///dir); SRC may be a glob (quote it) or
  a directory.
  --method M            auto | storage | distcp | hdfs-put | hdfs-cp | scp   (default auto)
  --check               report which methods could copy SRC to DEST (tools, versions, NameNodes
                        and ssh reachable, free space on the target); copies nothing; exit 0
                        when at least one method works
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
  --quiet               no progress, no table (exit status only)
distcp:
  --mirror, --delete    make DEST a mirror: files absent at the source are deleted there (distcp
                        -update -delete); each deletion is reported
  -m, --maps N          distcp maps (default: --concurrency, at most one per file)
  --strategy S          dynamic | uniformsize                              (default dynamic)
  --preserve P          distcp -p: 'all' or letters of rbugpcaxte
the seed's switches (docs/migrating-from-seed-002.md):
  --use-distcp          --method distcp                       env USE_DISTCP=true
  --no-distcp           --method storage (no hadoop tools)    env USE_DISTCP=false
  --source-hdfs-path P  a SRC: an HDFS path or URL            env SOURCE_HDFS_PATH
  --source-cluster NN   the NameNode of a bare source path    env SOURCE_CLUSTER
  --target-cluster NN   DEST's NameNode: hdfs://host:port, host:port or webhdfs://host:port
                                                              env TARGET_CLUSTER
  --target-hdfs-path P  DEST's path on it (default /)         env TARGET_HDFS_PATH
  --max-workers N       --concurrency N
  --chunk-size SIZE     part size of large files' chunked copies (e.g. 64MiB; storage method;
                        bytes, not the seed's rows per query; 64 KiB-4000 MiB, default 32 MiB)
  With a target switch every positional is a SRC; flags and positionals win over the variables,
  which only fill in what the command line leaves open. A path without a cluster goes on the
  cluster the other side names.
methods (auto tries them in this order, recording each attempt):
${METHODS_HELP}`

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
  check: { type: 'boolean' },
  mirror: { type: 'boolean' },
  delete: { type: 'boolean' },
  maps: { type: 'string', short: 'm' },
  strategy: { type: 'string' },
  preserve: { type: 'string' },
  'use-distcp': { type: 'boolean' },
  'no-distcp': { type: 'boolean' },
  'source-hdfs-path': { type: 'string' },
  'source-cluster': { type: 'string' },
  'target-cluster': { type: 'string' },
  'target-hdfs-path': { type: 'string' },
  'max-workers': { type: 'string' },
  'chunk-size': { type: 'string' },
} as const

/** `CODE: message`, once: many messages already start with their code. */
function withCode(code: string | undefined, message: string): string {
  return code === undefined || message.startsWith(code) ? message : `${code}: ${message}`
}

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
    f.error ? withCode(errorInfo(f.error)?.code, f.error.message) : '',
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

function yesNo(b: boolean): string {
  return b ? 'yes' : 'no'
}

function spaceText(c: TransferCheck): string | undefined {
  const t = c.endpoints.find((e) => e.role === 'target')
  if (t?.spaceError) return `space on the target: unknown (${t.spaceError.code}: ${t.spaceError.message})`
  const s = t?.space
  if (s === undefined) return undefined
  const parts: string[] = []
  if (s.free !== undefined) parts.push(`${formatBytes(s.free)} free${s.total !== undefined ? ` of ${formatBytes(s.total)}` : ''}`)
  if (s.quotaRemaining !== undefined) parts.push(`its space quota allows ${formatBytes(s.quotaRemaining)} more`)
  if (parts.length === 0) return undefined
  return `space on the target: ${parts.join('; ')}`
}

function printCheck(source: string, target: string, c: TransferCheck): void {
  const out: string[] = [`${source} -> ${target}`, '']
  out.push(table(['method', 'works', 'why not'], c.methods.map((m) => [m.method, yesNo(m.available), m.reason ? `${m.code ? `${m.code}: ` : ''}${m.reason}` : ''])))
  out.push('')
  out.push(table(['tool', 'found', 'version / why not'], c.tools.map((t) => [t.name, t.path ?? 'no', t.version ?? (t.error ? withCode(t.error.code, t.error.message) : '')])))
  out.push('')
  const rows = c.endpoints.flatMap((e) => e.routes.map((r) => [e.role, e.kind, r.via, r.address, yesNo(r.reachable), formatDuration(r.durationMs), r.error ? withCode(r.error.code, r.error.message) : '']))
  out.push(table(['endpoint', 'kind', 'via', 'address', 'reachable', 'time', 'error'], rows, new Set([5])))
  for (const e of c.endpoints) {
    if (e.missing) out.push('', `${e.role} paths not found (ENOENT): ${e.missing.join(', ')}`)
  }
  const space = spaceText(c)
  if (space) out.push('', space)
  process.stdout.write(`${out.join('\n')}\n\n`)
}

/** --check: checkTransfer for each source filesystem; 0 when every one has a working method. */
async function check(groups: Map<string, string[]>, options: Omit<TransferOptions, 'files' | 'source'>, json: boolean): Promise<number> {
  const checks: (TransferCheck & { source: string; target: string })[] = []
  try {
    for (const [source, paths] of groups) {
      const c = await checkTransfer({ source, target: options.target, files: paths, compress: options.compress, bandwidthLimit: options.bandwidthLimit, chunkSize: options.chunkSize })
      checks.push({ source, target: String(options.target), ...c })
      if (!json) printCheck(source, String(options.target), c)
    }
  } catch (e) {
    const code = (e as Error & { code?: unknown }).code
    process.stderr.write(`logferry transfer: ${typeof code === 'string' ? `${code}: ` : ''}${(e as Error).message}\n`)
    return 2
  }
  const ok = checks.every((c) => c.ok)
  if (json) process.stdout.write(`${JSON.stringify({ ok, checks }, null, 2)}\n`)
  else process.stdout.write(ok ? 'at least one method works\n' : checks.some((c) => c.endpoints.some((e) => e.missing)) ? 'a source path is missing: see above\n' : 'no method works: see the reasons above\n')
  return ok ? 0 : 1
}

export async function transferCommand(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (e) {
    process.stderr.write(`logferry transfer: ${withCode((e as { code?: string }).code, (e as Error).message)}\n${TRANSFER_USAGE}\n`)
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
    const env = readSeedEnv(process.env)
    const flags = {
      useDistcp: values['use-distcp'],
      noDistcp: values['no-distcp'],
      sourceHdfsPath: values['source-hdfs-path'],
      sourceCluster: values['source-cluster'],
      targetCluster: values['target-cluster'],
      targetHdfsPath: values['target-hdfs-path'],
    }
    const { sources, target } = seedLocations(positionals, flags, env)
    groups = groupSources(sources)
    const concurrency = integer(values.concurrency, 'concurrency')
    const workers = integer(values['max-workers'], 'max-workers')
    if (concurrency !== undefined && workers !== undefined && concurrency !== workers) throw new UsageError(`--max-workers ${workers} contradicts --concurrency ${concurrency} (they are one setting)`)
    const preserve = values.preserve
    if (preserve !== undefined && preserve !== 'all' && !/^[rbugpcaxte]+$/.test(preserve)) throw new UsageError(`--preserve must be 'all' or letters of rbugpcaxte, got '${preserve}'`)
    options = {
      target: absolute(target),
      method: seedMethod(values.method, flags, env),
      concurrency: concurrency ?? workers,
      overwrite: values.overwrite as TransferOptions['overwrite'],
      verify: values['no-verify'] ? false : undefined,
      retries: integer(values.retries, 'retries'),
      retryDelay: integer(values['retry-delay'], 'retry-delay'),
      bandwidthLimit: values['bandwidth-limit'],
      compress: values.compress as TransferOptions['compress'],
      // Checked (units, bounds) by transferFiles' options, as --bandwidth-limit.
      chunkSize: values['chunk-size'],
      preserveStructure: values.flat ? false : undefined,
      deleteSource: values['delete-source'],
      dryRun: values['dry-run'],
      mirror: values.mirror || values.delete ? true : undefined,
      maps: integer(values.maps, 'maps'),
      strategy: values.strategy as TransferOptions['strategy'],
      preserve: preserve === undefined ? undefined : preserve === 'all' ? true : preserve,
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`logferry transfer: ${e.code}: ${e.message}\n`)
      return 2
    }
    process.stderr.write(`logferry transfer: ${withCode((e as { code?: string }).code, (e as Error).message)}\n${TRANSFER_USAGE}\n`)
    return 2
  }
  if (values.check) return check(groups, options, values.json === true)

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
