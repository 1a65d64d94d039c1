/**
 * 'distcp': one `hadoop distcp -update -strategy dynamic` run for the batch (local MapReduce or the
 * cluster's, as the hadoop configuration says), then a per-file check of the target. Source and
 * target each go on their own NameNode (endpoint.ts), so one run copies between two clusters.
 */
import { attempt } from '../delivery/retry.js'
import { isStorageError, type FileSystem } from '../storage/index.js'
import { basenamePath, dirnamePath, isTempName } from '../storage/path.js'
import { DEFAULT_TOOL_TIMEOUT_MS, hadoopEnv, verifySame } from './cli-copy.js'
import { hadoopFsRoot, hadoopUri } from './endpoint.js'
import { pool, type MethodContext, type MethodResult, type TransferMethodImpl } from './method.js'
import type { ResolvedOptions } from './options.js'
import { runCommand } from './run-command.js'
import { findHadoop } from './tools.js'
import type { PlannedFile } from './types.js'

/** distcp -bandwidth is MB/s per map; `maps` maps share the total. */
export function distcpBandwidthMB(bytesPerSecond: number, maps: number): string {
  return String(Math.max(0.001, bytesPerSecond / maps / 1048576).toFixed(3))
}

/** One distcp run: sources copied into `targetDir` (directories by content, files by name). */
interface Job {
  sources: string[]
  targetDir: string
}

interface Plan {
  jobs: Job[]
  /**
   * The batch is one directory copied whole onto the target root, and it holds every planned
   * file: distcp's -delete then removes exactly the target files mirror removes.
   */
  mirrorsRoot: boolean
}

/** The directory a planned file's target path is relative to on the source side. */
function baseOf(f: PlannedFile): string | undefined {
  if (f.source === f.target) return ''
  return f.source.endsWith(`/${f.target}`) ? f.source.slice(0, -(f.target.length + 1)) : undefined
}

/**
 * Whether every file below `dir` is planned, walked one directory at a time so that the first
 * unplanned file or directory ends it: a base at the root of a large cluster is not listed whole
 * for a batch of a few files.
 */
async function everyFilePlanned(fs: FileSystem, dir: string, files: ReadonlySet<string>, dirs: ReadonlySet<string>): Promise<boolean> {
  const entries = (await fs.ls(dir)).filter((e) => !isTempName(e.path))
  if (entries.some((e) => (e.kind === 'file' ? !files.has(e.path) : !dirs.has(e.path)))) return false
  for (const e of entries) if (e.kind !== 'file' && !(await everyFilePlanned(fs, e.path, files, dirs))) return false
  return true
}

/** Every directory above a planned file. */
function parentsOf(paths: Iterable<string>): Set<string> {
  const out = new Set<string>()
  for (const p of paths) for (let d = dirnamePath(p); d !== '' && !out.has(d); d = dirnamePath(d)) out.add(d)
  return out
}

/** The batch's jobs, or every file failed with the planning error (nothing was run). */
async function planOrFail(files: readonly PlannedFile[], all: readonly PlannedFile[], o: ResolvedOptions): Promise<Plan | { failed: MethodResult[] }> {
  try {
    return await planJobs(files, all, o)
  } catch (err) {
    return { failed: files.map(() => ({ attempts: 0, error: err })) }
  }
}

/**
 * Sources for the batch. A base directory whose every file is planned goes in whole (distcp
 * -update copies its content below the target root, keeping the structure, and skips what is
 * already there). Other files go in one job per target directory (distcp puts a file source under
 * its name). Usually that is one job for the whole batch.
 */
async function planJobs(files: readonly PlannedFile[], all: readonly PlannedFile[], o: ResolvedOptions): Promise<Plan> {
  const planned = all.filter((f) => f.error === undefined)
  const plannedSources = new Set(planned.map((f) => f.source))
  const plannedDirs = parentsOf(plannedSources)
  const wholeDirs: string[] = []
  const rest: PlannedFile[] = []
  const byBase = new Map<string, PlannedFile[]>()
  for (const f of files) {
    const base = o.preserveStructure ? baseOf(f) : undefined
    if (base === undefined || o.overwrite === 'never') rest.push(f)
    else byBase.set(base, [...(byBase.get(base) ?? []), f])
  }
  for (const [base, group] of byBase) {
    let whole = false
    try {
      whole = await everyFilePlanned(o.source, base, plannedSources, plannedDirs)
    } catch (err) {
      if (!isStorageError(err)) throw err
    }
    if (whole) wholeDirs.push(base)
    else rest.push(...group)
  }
  const jobs = new Map<string, string[]>()
  const src = (rel: string): string => hadoopUri(o.sourceEndpoint, rel, o.hadoop.namenode)
  if (wholeDirs.length > 0) jobs.set('', wholeDirs.map(src))
  for (const f of rest) {
    const dir = dirnamePath(f.target)
    if (basenamePath(f.target) !== basenamePath(f.source)) throw new Error(`distcp cannot rename '${f.source}' to '${f.target}'`)
    jobs.set(dir, [...(jobs.get(dir) ?? []), src(f.source)])
  }
  const only = wholeDirs.length === 1 && rest.length === 0 ? wholeDirs[0] : undefined
  const mirrorsRoot = only !== undefined && planned.every((f) => baseOf(f) === only)
  return { jobs: [...jobs].map(([targetDir, sources]) => ({ targetDir, sources })), mirrorsRoot }
}

/** distcp's switches for this transfer (the sources and the target follow them). */
function distcpArgs(o: ResolvedOptions, maps: number, mirrorsRoot: boolean): string[] {
  const args = ['distcp', o.overwrite === 'always' ? '-overwrite' : '-update']
  if (o.mirror && mirrorsRoot) args.push('-delete')
  args.push('-strategy', o.strategy, '-m', String(maps))
  if (o.preserve !== undefined) args.push(o.preserve)
  if (o.bandwidth !== undefined) args.push('-bandwidth', distcpBandwidthMB(o.bandwidth, maps))
  return args
}

async function runJobs(plan: Plan, ctx: MethodContext, bin: string): Promise<void> {
  const { o } = ctx
  const dst = (rel: string): string => hadoopUri(o.targetEndpoint, rel, o.hadoop.namenode)
  const maps = o.maps ?? Math.max(1, Math.min(o.concurrency, ctx.all.length))
  for (const job of plan.jobs) {
    await o.target.mkdir(job.targetDir, { parents: true }).catch((err: unknown) => {
      if (!isStorageError(err, 'EEXIST')) throw err
    })
    const args = [...distcpArgs(o, maps, plan.mirrorsRoot), ...job.sources, dst(job.targetDir)]
    await runCommand(bin, args, { env: hadoopEnv(o), signal: o.signal, timeoutMs: o.hadoop.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS })
  }
}

export const distcpMethod: TransferMethodImpl = {
  name: 'distcp',
  inapplicable: (o) => {
    const s = o.sourceEndpoint
    const t = o.targetEndpoint
    if (s.kind !== 'local' && s.kind !== 'hadoop') return s.kind === 'other' ? `distcp: ${s.why}` : 'distcp reads local or Hadoop (HDFS) sources'
    if (t.kind !== 'hadoop') return t.kind === 'other' ? `distcp: ${t.why}` : `distcp writes to Hadoop (HDFS) targets (target is ${t.kind})`
    if (o.compress) return 'distcp does not compress'
    return undefined
  },
  prepare: (o) => void findHadoop(o.hadoop.bin),
  run: async (files, ctx): Promise<MethodResult[]> => {
    const { o, progress } = ctx
    const bin = findHadoop(o.hadoop.bin)
    const plan = await planOrFail(files, ctx.all, o)
    if (!('jobs' in plan)) return plan.failed
    // One distcp run is the unit retried: it copies the batch or fails as a whole.
    const r = await attempt(() => runJobs(plan, ctx, bin), { retries: o.retries, retryDelay: o.retryDelay, signal: o.signal })
    if (!r.ok) return files.map(() => ({ attempts: r.attempts, error: r.error }))
    // distcp copied everything or failed as a whole; now check each file on the target.
    return pool(files, o.concurrency, o.signal, async (f): Promise<MethodResult> => {
      try {
        const done = o.verify ? await verifySame(o.source, f.source, o.target, f.target, f.size) : { bytes: (await o.target.stat(f.target)).size, checksum: '' }
        progress.addBytes(f.size)
        const result = { attempts: r.attempts, done }
        await ctx.onCopied(f, result)
        return result
      } catch (err) {
        return { attempts: r.attempts, error: err }
      }
    })
  },
  /**
   * Apache DistCp has no dry-run switch, so the check is hadoop listing what distcp would read
   * (the sources, on the addresses distcp would get) and the target NameNode's root: a missing
   * source, an unreachable cluster or a refused login fails here, and nothing is written.
   */
  rehearse: async (files, ctx): Promise<MethodResult[]> => {
    const { o } = ctx
    const bin = findHadoop(o.hadoop.bin)
    const plan = await planOrFail(files, ctx.all, o)
    if (!('jobs' in plan)) return plan.failed
    const uris = [...new Set(plan.jobs.flatMap((j) => j.sources)), hadoopFsRoot(o.targetEndpoint, o.hadoop.namenode)]
    const r = await attempt(
      () => runCommand(bin, ['fs', '-ls', '-d', ...uris], { env: hadoopEnv(o), signal: o.signal, timeoutMs: o.hadoop.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS }),
      { retries: o.retries, retryDelay: o.retryDelay, signal: o.signal },
    )
    return files.map(() => (r.ok ? { attempts: r.attempts } : { attempts: r.attempts, error: r.error }))
  },
}
