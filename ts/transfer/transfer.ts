/** transferFiles: copies files between storage backends, by the chosen method(s), with a report per file. */
import { attempt } from '../delivery/retry.js'
import { isStorageError } from '../storage/index.js'
import { compressedName } from './compression.js'
import { TransferAbortError } from './errors.js'
import { pool, type CopyDone, type MethodContext, type MethodResult } from './method.js'
import { methodChain } from './methods.js'
import { planMirror, settleMirror, type MirrorPlan } from './mirror.js'
import { resolveOptions, type ResolvedOptions } from './options.js'
import { fromPlannedList, planFiles } from './plan.js'
import { ProgressTracker } from './progress.js'
import { decideSkip } from './skip.js'
import { TargetIndex } from './target-index.js'
import { TokenBucket } from './throttle.js'
import type { ConcreteMethod, FileReport, MethodAttempt, PlannedFile, TransferOptions, TransferReport } from './types.js'

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err))
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'ERR_UNKNOWN'
}

function summarize(files: FileReport[], started: number): TransferReport {
  const count = (o: FileReport['outcome']): number => files.filter((f) => f.outcome === o).length
  const failed = count('failed')
  return {
    ok: failed === 0,
    files,
    totals: {
      files: files.length,
      copied: count('copied'),
      skipped: count('skipped'),
      failed,
      dryRun: count('dry-run'),
      deleted: count('deleted'),
      bytes: files.reduce((n, f) => n + (f.outcome === 'copied' ? f.bytes : 0), 0),
      durationMs: Date.now() - started,
    },
  }
}

/** One file on its way through the transfer. */
class FileState {
  readonly started = Date.now()
  attempts = 0
  readonly tried: MethodAttempt[] = []
  method: ConcreteMethod
  lastError: unknown
  copied: CopyDone | undefined
  report: FileReport | undefined

  constructor(
    readonly f: PlannedFile,
    firstMethod: ConcreteMethod,
  ) {
    this.method = firstMethod
  }

  finish(r: Partial<FileReport> & Pick<FileReport, 'outcome' | 'attempts'>): FileReport {
    this.report = {
      source: this.f.source,
      target: this.f.target,
      bytes: this.f.size,
      sourceBytes: this.f.size,
      method: this.method,
      methodsTried: this.tried,
      checksum: '',
      durationMs: Date.now() - this.started,
      ...r,
    }
    return this.report
  }
}

/** Planning failures, the overwrite policy and dry runs: settles files that need no copy. */
async function settleWithoutCopy(st: FileState, o: ResolvedOptions, progress: ProgressTracker, index: TargetIndex): Promise<void> {
  const f = st.f
  if (f.error) {
    progress.fileDone()
    st.finish({ attempts: 1, outcome: 'failed', error: f.error })
    return
  }
  if (o.overwrite !== 'always' && (await index.missing(f.target))) {
    f.targetAbsent = true
    if (o.dryRun) {
      progress.fileDone(f.size)
      st.finish({ attempts: 0, outcome: 'dry-run' })
    }
    return
  }
  const decision = await attempt(
    () => decideSkip(o.overwrite, o.source, { path: f.source, size: f.size, mtime: f.mtime }, o.target, f.target, o.compress !== undefined),
    { retries: o.retries, retryDelay: o.retryDelay, signal: o.signal },
  )
  if (!decision.ok) {
    progress.fileDone()
    st.finish({ attempts: decision.attempts, outcome: 'failed', error: toError(decision.error) })
  } else if (decision.value.skip) {
    progress.fileDone(f.size)
    st.finish({ attempts: 0, outcome: 'skipped' })
  } else if (o.dryRun) {
    progress.fileDone(f.size)
    st.finish({ attempts: 0, outcome: 'dry-run' })
  }
}

/** Deletes the source of a verified copy (deleteSource requires verify) and settles the file. */
async function settleCopied(st: FileState, o: ResolvedOptions, progress: ProgressTracker): Promise<void> {
  const done = st.copied as CopyDone
  progress.fileDone(0)
  const copied = { attempts: st.attempts, bytes: done.bytes, checksum: done.checksum }
  if (o.deleteSource) {
    const del = await attempt(() => o.source.rm(st.f.source), { retries: o.retries, retryDelay: o.retryDelay, signal: o.signal })
    if (!del.ok && !isStorageError(del.error, 'ENOENT')) {
      st.finish({
        ...copied,
        outcome: 'failed',
        error: new Error(`copied and verified, but deleting the source failed: ${toError(del.error).message}`, { cause: del.error }),
      })
      return
    }
  }
  st.finish({ ...copied, outcome: 'copied' })
}

/**
 * A dry run with an explicit method that can check a job (distcp): the files that would be copied
 * go to its check, and those it refuses are reported failed instead of 'dry-run'.
 */
async function rehearse(states: FileState[], o: ResolvedOptions, base: Omit<MethodContext, 'onCopied'>): Promise<void> {
  const method = o.method === 'auto' ? undefined : methodChain(o)[0]?.method
  if (method?.rehearse === undefined || states.length === 0) return
  const results = await method.rehearse(
    states.map((st) => st.f),
    { ...base, onCopied: async () => undefined },
  )
  states.forEach((st, i) => {
    const r = results[i]
    if (r?.error !== undefined) st.finish({ attempts: r.attempts, outcome: 'failed', error: toError(r.error) })
  })
}

/** Moves the pending files through the method chain; a file leaves it at its first success. */
async function copyPending(states: FileState[], o: ResolvedOptions, base: Omit<MethodContext, 'onCopied'>): Promise<void> {
  let pending = states
  const byFile = new Map(states.map((st) => [st.f, st]))
  for (const step of methodChain(o)) {
    if (pending.length === 0 || o.signal?.aborted) break
    const name = step.method.name
    if (step.unavailable) {
      for (const st of pending) {
        st.method = name
        st.lastError = step.unavailable
        st.tried.push({ method: name, code: step.unavailable.code, message: step.unavailable.message, attempts: 0, durationMs: 0 })
      }
      continue
    }
    const t0 = Date.now()
    const onCopied = async (f: PlannedFile, r: MethodResult): Promise<void> => {
      const st = byFile.get(f) as FileState
      st.method = name
      st.attempts += r.attempts
      st.copied = r.done
      await settleCopied(st, o, base.progress)
    }
    const results = await step.method.run(
      pending.map((s) => s.f),
      { ...base, onCopied },
    )
    const next: FileState[] = []
    pending.forEach((st, i) => {
      const r = results[i]
      if (st.report !== undefined) return
      if (r === undefined) return void next.push(st)
      st.method = name
      st.attempts += r.attempts
      st.lastError = r.error
      const e = toError(r.error)
      st.tried.push({ method: name, code: codeOf(r.error), message: e.message, attempts: r.attempts, durationMs: r.durationMs ?? Date.now() - t0 })
      next.push(st)
    })
    pending = next
  }
}

/**
 * Copies `files` from `source` to `target`. Per-file failures are reported, not thrown: the
 * report's `ok` is false and the file's `outcome` is 'failed' with its `error`. Throws for invalid
 * options (TypeError/RangeError, code ERR_INVALID_ARG), an explicit method that cannot be used
 * (ERR_METHOD_UNAVAILABLE), and an abort (AbortError carrying the partial report).
 */
export async function transferFiles(options: TransferOptions): Promise<TransferReport> {
  const started = Date.now()
  const o = resolveOptions(options)
  let states: FileState[] = []
  try {
    o.signal?.throwIfAborted()
    const first = methodChain(o)[0]?.method.name ?? 'storage'
    const files = o.planned ? fromPlannedList(o.planned, o.preserveStructure) : await planFiles(o.source, o.patterns, o)
    const planned = files.map((f) =>
      o.compress ? { ...f, target: compressedName(f.target, o.compress) } : f,
    )
    const progress = new ProgressTracker(
      planned.reduce((n, f) => n + f.size, 0),
      planned.length,
      o.onProgress,
    )
    states = planned.map((f) => new FileState(f, first))
    const index = new TargetIndex(o.target, planned.filter((f) => !f.error).map((f) => f.target))
    // Before any copy: a method may delete the extras itself (distcp -delete).
    const mirror: MirrorPlan | undefined = o.mirror ? await planMirror(o, planned.map((f) => f.target)) : undefined
    await pool(states, o.concurrency, o.signal, (st) => settleWithoutCopy(st, o, progress, index))
    const ctx = { o, progress, bucket: o.bandwidth !== undefined ? new TokenBucket(o.bandwidth) : undefined, all: planned }
    if (o.dryRun) await rehearse(states.filter((st) => st.report?.outcome === 'dry-run'), o, ctx)
    await copyPending(
      states.filter((st) => st.report === undefined),
      o,
      ctx,
    )
    if (!o.signal?.aborted) {
      await pool(
        states.filter((st) => st.report === undefined),
        o.concurrency,
        o.signal,
        async (st) => {
          progress.fileDone()
          st.finish({ attempts: st.attempts, outcome: 'failed', error: toError(st.lastError ?? new Error('no method copied the file')) })
        },
      )
    }
    const finished = states.map((st) => st.report).filter((r): r is FileReport => r !== undefined)
    if (o.signal?.aborted) throw new TransferAbortError(o.signal.reason, summarize(finished, started))
    if (mirror !== undefined) {
      const copiedWith = finished.find((r) => r.outcome === 'copied')?.method ?? first
      finished.push(...(await settleMirror(mirror, o, copiedWith, finished.filter((r) => r.outcome === 'failed').length)))
    }
    return summarize(finished, started)
  } catch (err) {
    if (o.signal?.aborted && !(err instanceof TransferAbortError)) {
      const finished = states.map((st) => st.report).filter((r): r is FileReport => r !== undefined)
      throw new TransferAbortError(o.signal.reason, summarize(finished, started))
    }
    throw err
  } finally {
    await Promise.all(o.owned.map((fs) => fs.close().catch(() => undefined)))
  }
}
