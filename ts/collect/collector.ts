/**
 * `logferry collect`'s pipeline (docs/collect.md): list each server's files over SSH, skip what
 * is done or still being written, copy with the one rsync runner into `incoming/<server>/`,
 * extract natively into `extracted/<server>/`, then move the compressed file to
 * `processed/<server>/` (or delete it). Failures go to `error/{copy,extract,quarantine}/<server>/`
 * with a `<name>.error.json` beside them. Every state change is one transaction in the state
 * store, made after the file operation it records, so a run killed anywhere is completed by the
 * next one without a duplicate.
 */
import { copyFile, mkdir, open, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { attempt, isRetryable } from '../delivery/retry.js'
import { runRsync, type SshTarget } from '../delivery/rsync.js'
import { LocalFileSystem } from '../storage/local.js'
import { loadCollectConfig, type CollectConfig, type CollectServer } from './config.js'
import { extractFile, type Extraction } from './extract.js'
import { listRemote, sshTarget, statRemote, type RemoteFile } from './remote.js'
import { compressInto } from './compress-extracted.js'
import { openControlDir } from './ssh-control.js'
import { Webhook } from './webhook.js'
import { CollectState, type ErrorType, type FileRecord, type FileRow, type FileState } from './state.js'
import { LogferryError } from '../errors.js'

export interface CollectEvent {
  level: 'info' | 'warn' | 'error'
  message: string
  server?: string
  file?: string
  operation: 'list' | 'copy' | 'extract' | 'finish' | 'recover' | 'skip'
  [k: string]: unknown
}

export interface CollectorOptions {
  /** Sees every event (the CLI writes them as JSON lines). */
  onEvent?: (e: CollectEvent) => void
  /**
   * A read-only view of the state (status and rows only), without the owner lock: works while
   * another collector runs. run/fetch/extract/recover fail with ERR_STATE_IO.
   */
  readOnly?: boolean
}

export interface RunOptions {
  /** Do not resume files left in incoming/ by an earlier run (copied but not finished). */
  noIncoming?: boolean
  /** One server and one file at a time. */
  sequential?: boolean
  /** Only these servers (default: every enabled one). */
  servers?: string[]
  /**
   * The pass's progress after each listing and each file worked on: files and compressed bytes
   * to work on (known once each server is listed) and done (the CLI's progress bar).
   */
  onProgress?: (p: PassProgress) => void
}

export interface PassProgress {
  filesDone: number
  filesTotal: number
  bytesDone: number
  bytesTotal: number
}

export interface FailedFile {
  server: string
  path: string
  errorType: ErrorType | 'list'
  message: string
}

export interface PassSummary {
  listed: number
  /** Already processed with this size and mtime. */
  skippedDone: number
  /** Changed within the settle time: left for a later pass. */
  settling: number
  /** In an error folder from an earlier pass (recover brings them back). */
  inError: number
  copied: number
  extracted: number
  processed: number
  /** Same content as a file already processed: not extracted again. */
  duplicates: number
  /** Bytes written to extracted/. */
  bytesExtracted: number
  /** Old files removed from processed/ and error/ (pipeline.conf cleanup_days). */
  cleanedUp: number
  failed: FailedFile[]
}

export type FileOutcome = { state: FileState; errorType?: ErrorType; message?: string; skipped?: 'done' }

export interface StatusRow {
  server: string
  counts: Record<FileState, number>
}

export interface Collector {
  readonly config: CollectConfig
  run(o?: RunOptions): Promise<PassSummary>
  /** One remote file through the whole pipeline (no settle rule). */
  fetch(server: string, remotePath: string): Promise<FileOutcome>
  /** A local compressed file through extraction and finish, as if collected from `server`. */
  extract(file: string, server?: string): Promise<FileOutcome>
  /** Moves files back from the error folders, resets their retry counts and runs them again. */
  recover(o?: { errorType?: ErrorType; server?: string }): Promise<{ recovered: number; summary: PassSummary }>
  status(): StatusRow[]
  rows(): FileRow[]
  close(): Promise<void>
}

const STATES: FileState[] = ['pending', 'copied', 'extracted', 'processed', 'error']
const COMPRESSED_EXT = /\.(gz|gzip|bz2|xz|zst|zstd)$/i

/** An extraction I/O failure, retried through the retry helper. */
class ExtractIoError extends Error {
  constructor(readonly outcome: Extract<Extraction, { status: 'io' }>) {
    super(outcome.message)
  }
}

function emptySummary(): PassSummary {
  return { listed: 0, skippedDone: 0, settling: 0, inError: 0, copied: 0, extracted: 0, processed: 0, duplicates: 0, bytesExtracted: 0, cleanedUp: 0, failed: [] }
}

async function pool<T>(items: readonly T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T)
  }
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker))
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p)
    return true
  } catch {
    return false
  }
}

async function syncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r')
  try {
    await h.sync()
  } finally {
    await h.close()
  }
}

/** Rename into `dir` (created), the directory synced. */
async function moveInto(src: string, dir: string, name: string): Promise<string> {
  await mkdir(dir, { recursive: true })
  const dst = join(dir, name)
  await rename(src, dst)
  await syncDir(dir)
  return dst
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

export function createCollector(config: CollectConfig, o: CollectorOptions = {}): Collector {
  const c = config
  const state = CollectState.open(c.stateDir, o.readOnly === true && existsSync(join(c.stateDir, 'collect.db')))
  // Not for a read-only view: a running collector owns the recorded masters.
  const control = o.readOnly === true ? undefined : openControlDir(c.stateDir)
  const sha = new LocalFileSystem()
  const emit = (e: CollectEvent): void => o.onEvent?.(e)
  const webhook =
    c.webhookUrl === undefined || o.readOnly === true
      ? undefined
      : new Webhook(c.webhookUrl, { retryDelay: Math.min(c.retryDelayBase, 1000), onFailure: (err) => emit({ level: 'error', message: `webhook delivery failed: ${message(err)}`, operation: 'list' }) })
  const dir = (kind: string, server: string): string => join(c.dataRoot, kind, server)
  const errorDir = (t: ErrorType, server: string): string => join(c.dataRoot, 'error', t, server)
  const serverOf = (name: string): CollectServer => {
    const s = c.servers.find((x) => x.name === name)
    if (!s) throw new LogferryError('ERR_INVALID_ARG', `unknown server '${name}' (configured: ${c.servers.map((x) => x.name).join(', ')})`)
    return s
  }
  const targets = new Map<string, SshTarget>()
  const target = (s: CollectServer): SshTarget => {
    let t = targets.get(s.name)
    if (!t) targets.set(s.name, (t = { ...sshTarget(c, s), ...(control ? { controlDir: control.dir } : {}) }))
    return t
  }
  let tmpSeq = 0
  const retryOpts = { retryDelay: c.retryDelayBase, maxDelay: c.retryDelayMax }

  /** What is left by a run that was killed: our temp files (the owner lock says no one else runs). */
  async function sweep(server: string): Promise<void> {
    await mkdir(c.tmpDir, { recursive: true })
    for (const f of await readdir(c.tmpDir)) if (f.startsWith('.') && f.endsWith('.part')) await rm(join(c.tmpDir, f), { force: true })
    await mkdir(dir('incoming', server), { recursive: true })
    await mkdir(dir('extracted', server), { recursive: true })
  }

  async function failTo(rec: FileRecord, t: ErrorType, msg: string, s: PassSummary, extra: Record<string, unknown> = {}): Promise<FileOutcome> {
    const edir = errorDir(t, rec.server)
    await mkdir(edir, { recursive: true })
    const incoming = join(dir('incoming', rec.server), rec.name)
    if (t !== 'copy' && (await exists(incoming))) await moveInto(incoming, edir, rec.name)
    await writeFile(join(edir, `${rec.name}.error.json`), JSON.stringify({ server: rec.server, remotePath: rec.remotePath, errorType: t, message: msg, ...extra }, null, 2) + '\n')
    const next: FileRecord = { ...rec, errorType: t, errorMessage: msg, ...extra }
    state.set('error', next, msg)
    s.failed.push({ server: rec.server, path: rec.remotePath, errorType: t, message: msg })
    emit({ level: 'error', message: `file moved to error/${t}`, server: rec.server, file: rec.name, operation: t === 'copy' ? 'copy' : 'extract', reason: msg })
    if (t === 'quarantine') webhook?.send({ event: 'quarantine', server: rec.server, file: rec.name, remotePath: rec.remotePath, message: msg, ...extra })
    return { state: 'error', errorType: t, message: msg }
  }

  type Copier = (rec: FileRecord, incomingPath: string) => Promise<void>

  const rsyncCopier = (srv: CollectServer): Copier => async (rec, incomingPath) => {
    // Already brought by the batch copy (rsync's own quick check: size and mtime).
    const have = await stat(incomingPath).catch(() => undefined)
    if (have && have.size === rec.size && Math.floor(have.mtimeMs) === rec.mtimeMs) return
    await runRsync({ ssh: target(srv), from: { remote: rec.remotePath }, to: incomingPath, flags: ['-t'], retries: c.maxRetryCopy, retryDelay: c.retryDelayBase, retryDelayMax: c.retryDelayMax, onRetry: (err, n, delay) => emit({ level: 'warn', message: `copy failed, retry in ${delay} ms`, server: rec.server, file: rec.name, operation: 'copy', attempt: n, error: message(err) }) })
  }

  /** The file from wherever its row stands to processed (or error). */
  async function advance(row: { status: FileState; rec: FileRecord }, copier: Copier, s: PassSummary): Promise<FileOutcome> {
    let rec = row.rec
    let st = row.status
    const incoming = join(dir('incoming', rec.server), rec.name)
    if (st === 'pending') {
      try {
        await copier(rec, incoming)
      } catch (err) {
        const attempts = (err as { attempts?: number }).attempts ?? 1
        return failTo({ ...rec, copyRetries: rec.copyRetries + attempts }, 'copy', message(err), s)
      }
      const info = await stat(incoming)
      // A fetch of a server that was unreachable did not learn the size: the copy tells it.
      if (rec.size < 0) rec = { ...rec, size: info.size, mtimeMs: Math.floor(info.mtimeMs) }
      if (info.size !== rec.size) {
        // Changed between the listing and the copy: still being written. Next pass.
        s.settling++
        emit({ level: 'warn', message: 'file changed while copied: left for the next pass', server: rec.server, file: rec.name, operation: 'copy' })
        return { state: 'pending' }
      }
      const sha256 = (await sha.checksum(incoming, 'sha256')).value
      const duplicate = state.isContentDone(rec.server, sha256)
      let extractedName = rec.extractedName
      if (!duplicate && extractedName === undefined) {
        const plainBase = COMPRESSED_EXT.test(rec.name) ? rec.name.replace(COMPRESSED_EXT, '') : `${rec.name}.extracted`
        const base = c.compressExtracted === 'zstd' ? `${plainBase}.zst` : plainBase
        extractedName = (await exists(join(dir('extracted', rec.server), base))) ? `${base}.${sha256.slice(0, 12)}` : base
      }
      rec = { ...rec, sha256, ...(duplicate ? { duplicateOf: sha256 } : { extractedName }) }
      state.set('copied', rec)
      st = 'copied'
      s.copied++
      emit({ level: 'info', message: 'File collected successfully', server: rec.server, file: rec.name, operation: 'copy', size: rec.size, sha256 })
    }
    if (st === 'copied' && rec.duplicateOf === undefined) {
      const dest = join(dir('extracted', rec.server), rec.extractedName as string)
      const r = await attempt(
        async () => {
          if (c.compressExtracted === 'none') {
            const x = await extractFile(incoming, c.tmpDir, dest, c.formats)
            if (x.status === 'io') throw new ExtractIoError(x)
            return x
          }
          const tmpBase = join(c.tmpDir, `.${rec.extractedName as string}.${process.pid}.${++tmpSeq}`)
          const x = await extractFile(incoming, c.tmpDir, `${tmpBase}.plain.part`, c.formats)
          if (x.status === 'io') throw new ExtractIoError(x)
          if (x.status === 'ok') {
            try {
              await compressInto(`${tmpBase}.plain.part`, `${tmpBase}.zst.part`, dest, c.zstdLevel)
            } catch (err) {
              const e = err as NodeJS.ErrnoException
              throw new ExtractIoError({ status: 'io', errno: e.code ?? 'EIO', message: `zstd compression: ${e.message}` })
            }
          }
          return x
        },
        { ...retryOpts, retries: c.maxRetryExtract, retryable: (e) => e instanceof ExtractIoError, onRetry: (err, n, delay) => emit({ level: 'warn', message: `extraction failed, retry in ${delay} ms`, server: rec.server, file: rec.name, operation: 'extract', attempt: n, error: message(err) }) },
      )
      rec = { ...rec, extractRetries: rec.extractRetries + r.attempts - 1 }
      if (!r.ok) {
        const e = r.error
        const msg = e instanceof ExtractIoError ? `${e.outcome.errno}: ${e.outcome.message}` : message(e)
        return failTo(rec, 'extract', msg, s, e instanceof ExtractIoError ? { errno: e.outcome.errno } : {})
      }
      const x = r.value
      if (x.status === 'invalid') return failTo(rec, 'quarantine', x.message, s, { reason: x.reason, offset: x.offset })
      if (x.status === 'ok') {
        rec = { ...rec, format: x.format, bytesOut: x.bytesOut }
        state.set('extracted', rec)
        st = 'extracted'
        s.extracted++
        s.bytesExtracted += x.bytesOut
        emit({ level: 'info', message: 'File extracted successfully', server: rec.server, file: rec.name, operation: 'extract', format: x.format, bytes: x.bytesOut })
      }
    }
    if (st === 'extracted' || (st === 'copied' && rec.duplicateOf !== undefined)) {
      if (c.deleteSource) {
        await unlink(incoming).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err
        })
      } else if (await exists(incoming)) {
        await moveInto(incoming, dir('processed', rec.server), rec.name)
      }
      state.processed(rec)
      s.processed++
      if (rec.duplicateOf !== undefined) s.duplicates++
      emit({ level: 'info', message: rec.duplicateOf ? 'same content already processed: not extracted again' : 'File processed', server: rec.server, file: rec.name, operation: 'finish' })
      return { state: 'processed' }
    }
    return { state: st, ...(rec.errorType ? { errorType: rec.errorType } : {}) }
  }

  /**
   * Removes files moved into processed/ or error/ more than cleanupAfterMs ago (by ctime: the
   * move; the mtime is the remote file's). Their rows stay (a processed file stays done).
   */
  async function cleanup(): Promise<number> {
    const limit = Date.now() - c.cleanupAfterMs
    let removed = 0
    const dirs = c.servers.flatMap((srv) => [dir('processed', srv.name), ...(['copy', 'extract', 'quarantine'] as const).map((t) => errorDir(t, srv.name))])
    for (const d of dirs) {
      const names = await readdir(d).catch(() => [] as string[])
      for (const n of names) {
        const info = await stat(join(d, n)).catch(() => undefined)
        if (info?.isFile() && info.ctimeMs < limit) {
          await rm(join(d, n), { force: true })
          removed++
        }
      }
    }
    if (removed > 0) emit({ level: 'info', message: `cleanup: ${removed} old file(s) removed from processed/ and error/`, operation: 'finish' })
    return removed
  }

  function newRecord(server: string, f: RemoteFile): FileRecord {
    return { server, remotePath: f.path, name: basename(f.path), size: f.size, mtimeMs: f.mtimeMs, copyRetries: 0, extractRetries: 0 }
  }

  type Plan = { skip: FileOutcome } | { row: { status: FileState; rec: FileRecord } }

  /** A listed file: skip it (counted in `s`), or the row to start/resume it from. */
  function plan(srv: CollectServer, f: RemoteFile, s: PassSummary, settle: boolean): Plan {
    if (state.isDone(srv.name, f.path, f.size, f.mtimeMs)) {
      s.skippedDone++
      return { skip: { state: 'processed', skipped: 'done' } }
    }
    if (settle && Date.now() - f.mtimeMs < c.settleMs) {
      s.settling++
      emit({ level: 'info', message: 'still being written: skipped this pass', server: srv.name, file: basename(f.path), operation: 'skip' })
      return { skip: { state: 'pending' } }
    }
    const row = state.get(srv.name, f.path)
    const same = row !== undefined && row.payload.size === f.size && row.payload.mtimeMs === f.mtimeMs
    if (row && same && row.status === 'error') {
      s.inError++
      return { skip: { state: 'error', ...(row.payload.errorType ? { errorType: row.payload.errorType } : {}) } }
    }
    // A new file, or a new version of a known one (changed since): from the start.
    if (!row || !same || row.status === 'processed') {
      const rec = newRecord(srv.name, f)
      state.set('pending', rec)
      return { row: { status: 'pending', rec } }
    }
    return { row: { status: row.status, rec: row.payload } }
  }

  async function oneFile(srv: CollectServer, f: RemoteFile, s: PassSummary, settle: boolean): Promise<FileOutcome> {
    const p = plan(srv, f, s, settle)
    return 'skip' in p ? p.skip : advance(p.row, rsyncCopier(srv), s)
  }

  /**
   * One rsync run for many files of a server (one process and one file list instead of one per
   * file). Best effort: whatever it did not bring is copied file by file, with its own retries
   * and error, by the copier.
   */
  async function prefetch(srv: CollectServer, recs: FileRecord[]): Promise<void> {
    const incoming = dir('incoming', srv.name)
    for (let i = 0; i < recs.length; i += 200) {
      const batch = recs.slice(i, i + 200)
      try {
        await runRsync({ ssh: target(srv), from: batch.map((r) => ({ remote: r.remotePath })), to: `${incoming}/`, flags: ['-t'], retries: 0 })
      } catch (err) {
        emit({ level: 'warn', message: `batch copy incomplete, copying file by file: ${message(err)}`, server: srv.name, operation: 'copy' })
      }
    }
  }

  async function resume(srv: CollectServer, s: PassSummary, noIncoming: boolean): Promise<Set<string>> {
    const handled = new Set<string>()
    if (noIncoming) return handled
    for (const row of state.all()) {
      if (row.payload.server !== srv.name || (row.status !== 'copied' && row.status !== 'extracted')) continue
      handled.add(row.payload.remotePath)
      await advance({ status: row.status, rec: row.payload }, rsyncCopier(srv), s)
    }
    return handled
  }

  async function runServer(srv: CollectServer, s: PassSummary, o: RunOptions, progress: PassProgress): Promise<void> {
    await sweep(srv.name)
    const handled = await resume(srv, s, o.noIncoming === true)
    const listed = await attempt(() => listRemote(target(srv), srv.remotePath), {
      ...retryOpts,
      retries: c.maxRetryCopy,
      retryable: isRetryable,
      onRetry: (err, n, delay) => emit({ level: 'warn', message: `listing failed, retry in ${delay} ms`, server: srv.name, operation: 'list', attempt: n, error: message(err) }),
    })
    if (!listed.ok) {
      const msg = `server unreachable after ${listed.attempts} attempt(s): ${message(listed.error)}`
      s.failed.push({ server: srv.name, path: srv.remotePath, errorType: 'list', message: msg })
      emit({ level: 'error', message: msg, server: srv.name, operation: 'list' })
      webhook?.send({ event: 'server_unreachable', server: srv.name, message: msg })
      return
    }
    const files = listed.value.filter((f) => !handled.has(f.path))
    s.listed += listed.value.length
    emit({ level: 'info', message: `${listed.value.length} file(s) listed`, server: srv.name, operation: 'list' })
    const rows = files.flatMap((f) => {
      const p = plan(srv, f, s, true)
      return 'row' in p ? [p.row] : []
    })
    const toCopy = rows.filter((r) => r.status === 'pending').map((r) => r.rec)
    if (toCopy.length > 1) await prefetch(srv, toCopy)
    const copier = rsyncCopier(srv)
    progress.filesTotal += rows.length
    progress.bytesTotal += rows.reduce((n, r) => n + Math.max(0, r.rec.size), 0)
    o.onProgress?.({ ...progress })
    await pool(rows, o.sequential ? 1 : c.parallelFiles, async (row) => {
      await advance(row, copier, s)
      progress.filesDone++
      progress.bytesDone += Math.max(0, row.rec.size)
      o.onProgress?.({ ...progress })
    })
  }

  const collector: Collector = {
    config: c,
    async run(o = {}) {
      const s = emptySummary()
      const servers = c.servers.filter((x) => x.enabled && (o.servers === undefined || o.servers.includes(x.name)))
      const progress: PassProgress = { filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 }
      await pool(servers, o.sequential ? 1 : c.parallelServers, (srv) => runServer(srv, s, o, progress))
      if (c.cleanupAfterMs > 0) s.cleanedUp = await cleanup()
      return s
    },
    async fetch(server, remotePath) {
      const srv = serverOf(server)
      await sweep(srv.name)
      const s = emptySummary()
      const f = await statRemote(target(srv), remotePath).catch(() => undefined)
      if (f === undefined) {
        // Unreachable or missing: the copy (with its retries) says which, and records it.
        const rec = newRecord(srv.name, { path: remotePath, size: -1, mtimeMs: -1 })
        state.set('pending', rec)
        return advance({ status: 'pending', rec }, rsyncCopier(srv), s)
      }
      return oneFile(srv, f, s, false)
    },
    async extract(file, server = 'local') {
      const abs = resolve(file)
      const info = await stat(abs)
      await sweep(server)
      const s = emptySummary()
      const f: RemoteFile = { path: abs, size: info.size, mtimeMs: Math.floor(info.mtimeMs) }
      if (state.isDone(server, abs, f.size, f.mtimeMs)) return { state: 'processed', skipped: 'done' }
      const rec = newRecord(server, f)
      state.set('pending', rec)
      return advance({ status: 'pending', rec }, async (r, incomingPath) => {
        if (resolve(incomingPath) === abs) return
        const tmp = join(dir('incoming', server), `.${r.name}.copy`)
        await copyFile(abs, tmp)
        await rename(tmp, incomingPath)
      }, s)
    },
    async recover(o = {}) {
      const s = emptySummary()
      let recovered = 0
      for (const row of state.all()) {
        const rec = row.payload
        if (row.status !== 'error' || (o.errorType && rec.errorType !== o.errorType) || (o.server && rec.server !== o.server)) continue
        const t = rec.errorType ?? 'copy'
        const edir = errorDir(t, rec.server)
        if (t !== 'copy' && (await exists(join(edir, rec.name)))) await moveInto(join(edir, rec.name), dir('incoming', rec.server), rec.name)
        await rm(join(edir, `${rec.name}.error.json`), { force: true })
        const fresh: FileRecord = { ...rec, copyRetries: 0, extractRetries: 0 }
        delete fresh.errorType
        delete fresh.errorMessage
        delete fresh.reason
        delete fresh.offset
        const back: FileState = t === 'copy' || !(await exists(join(dir('incoming', rec.server), rec.name))) ? 'pending' : 'copied'
        state.set(back, fresh)
        recovered++
        emit({ level: 'info', message: `recovered from error/${t}`, server: rec.server, file: rec.name, operation: 'recover' })
        const srv = c.servers.find((x) => x.name === rec.server)
        const copier: Copier = srv
          ? rsyncCopier(srv)
          : async () => {
              throw new LogferryError('ERR_INVALID_ARG', `server '${rec.server}' is not configured any more`)
            }
        await sweep(rec.server)
        await advance({ status: back, rec: fresh }, copier, s)
      }
      return { recovered, summary: s }
    },
    status() {
      const by = new Map<string, Record<FileState, number>>()
      for (const srv of c.servers) by.set(srv.name, Object.fromEntries(STATES.map((k) => [k, 0])) as Record<FileState, number>)
      for (const row of state.all()) {
        const counts = by.get(row.payload.server) ?? (Object.fromEntries(STATES.map((k) => [k, 0])) as Record<FileState, number>)
        counts[row.status] = (counts[row.status] ?? 0) + 1
        by.set(row.payload.server, counts)
      }
      return [...by].map(([server, counts]) => ({ server, counts }))
    },
    rows() {
      return state.all()
    },
    async close() {
      await webhook?.drain()
      control?.close()
      state.close()
    },
  }
  return collector
}

/** createCollector from a configuration directory (conf/.env, sources.conf, pipeline.conf). */
export function createCollectorFromDir(configDir: string, o: CollectorOptions & { env?: Record<string, string | undefined> } = {}): Collector {
  return createCollector(loadCollectConfig(configDir, o.env ? { env: o.env } : {}), o)
}
