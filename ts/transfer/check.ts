/**
 * checkTransfer: which methods could copy between a source and a target, without copying (the
 * seed's troubleshooting steps as one call: `which hadoop`, `hadoop version`, `hdfs dfs -ls`,
 * `ssh host echo`, `hdfs dfs -df` / `df -h`, the last as FileSystem.space where the target
 * declares it). Each method is asked with its own `inapplicable` and `prepare` (the checks
 * transferFiles makes before using it); each endpoint is asked once
 * through the storage layer, and once through hadoop (`hadoop fs -ls -d` of the root, as distcp's
 * dry run does) when a hadoop method would reach it.
 */
import { isGlob, patternBase } from '../storage/glob.js'
import type { FileSystem, SpaceInfo } from '../storage/index.js'
import { hadoopEnv } from './cli-copy.js'
import { hadoopFsRoot, type Endpoint } from './endpoint.js'
import type { TransferMethodImpl } from './method.js'
import { AUTO_ORDER } from './methods.js'
import { resolveOptions, type ResolvedOptions } from './options.js'
import { runCommand } from './run-command.js'
import { findHadoop, findScp } from './tools.js'
import type { ConcreteMethod, TransferOptions } from './types.js'

/** What checkTransfer takes: the options of the transfer it is about (files, method and callbacks are not needed). */
export type TransferCheckOptions = Pick<TransferOptions, 'source' | 'target' | 'hadoop' | 'scp' | 'compress' | 'bandwidthLimit' | 'chunkSize'> & {
  /** The paths or globs the transfer would copy (only for the options check; nothing is listed). Default '.'. */
  files?: TransferOptions['files']
  /** Time allowed for each hadoop probe in ms (default 60 s). */
  probeTimeoutMs?: number
}

/** Room for new data on the target, as far as the store tells (FileSystem.space). */
export type { SpaceInfo }

export interface ProblemInfo {
  code: string
  message: string
}

export interface ToolCheck {
  name: 'hadoop' | 'scp'
  /** The executable found, or undefined with `error`. */
  path?: string
  /** First line of `hadoop version` ('Hadoop 3.4.1'). */
  version?: string
  error?: ProblemInfo
}

/** One way an endpoint is reached, and whether it answered. */
export interface RouteCheck {
  /** 'storage' (the FileSystem API: WebHDFS, SSH/SFTP, S3...) or 'hadoop' (the hadoop CLI, on the NameNode it would use). */
  via: 'storage' | 'hadoop'
  /** What was asked (a URL or NameNode root; credentials left out). */
  address: string
  reachable: boolean
  durationMs: number
  error?: ProblemInfo
}

export interface EndpointCheck {
  role: 'source' | 'target'
  /** 'local', 'hadoop' (HDFS), 'ssh' or the protocol of a store external tools cannot reach. */
  kind: string
  routes: RouteCheck[]
  /**
   * Source paths that are not there (a literal path missing, or a glob whose literal base
   * directory is missing); the first 1,000 patterns are looked at.
   */
  missing?: string[]
  /** Room on the target, where the store tells (local disk, HDFS). */
  space?: SpaceInfo
  spaceError?: ProblemInfo
}

export interface MethodCheck {
  method: ConcreteMethod
  /** The method applies, its tool is there and every endpoint answered on its route. */
  available: boolean
  /** Why not. */
  reason?: string
  code?: string
}

export interface TransferCheck {
  /** At least one method is available and no source path is missing. */
  ok: boolean
  methods: MethodCheck[]
  tools: ToolCheck[]
  endpoints: EndpointCheck[]
}

const HADOOP_METHODS: ReadonlySet<ConcreteMethod> = new Set(['distcp', 'hdfs-put', 'hdfs-cp'])

function problem(err: unknown): ProblemInfo {
  const code = (err as { code?: unknown } | null)?.code
  const message = err instanceof Error ? err.message : String(err)
  return { code: typeof code === 'string' ? code : 'ERR_UNKNOWN', message: message.split('\n').slice(0, 4).join(' ').slice(0, 600) }
}

async function timed(via: RouteCheck['via'], address: string, probe: () => Promise<unknown>): Promise<RouteCheck> {
  const t0 = Date.now()
  try {
    await probe()
    return { via, address, reachable: true, durationMs: Date.now() - t0 }
  } catch (err) {
    return { via, address, reachable: false, durationMs: Date.now() - t0, error: problem(err) }
  }
}

function describe(ep: Endpoint): string {
  if (ep.kind === 'local') return 'local'
  if (ep.kind === 'other') return ep.protocol
  return ep.kind
}

/** Where the storage layer reaches an endpoint, for display (no credentials: tool addresses carry none). */
function storageAddress(ep: Endpoint, protocol: string): string {
  if (ep.kind === 'local') return `file://${ep.root}`
  if (ep.kind === 'hadoop') return `${ep.uri}${ep.root}`
  if (ep.kind === 'ssh') return `sftp://${ep.username ? `${ep.username}@` : ''}${ep.host}:${ep.port}${ep.root}`
  return `${protocol}://`
}

/** The first line of `hadoop version`. */
async function hadoopVersion(bin: string, o: ResolvedOptions, timeoutMs: number): Promise<string> {
  const r = await runCommand(bin, ['version'], { env: hadoopEnv(o), timeoutMs })
  return r.stdout.split('\n').find((l) => l.trim() !== '')?.trim() ?? ''
}

/** hadoop reaching the NameNode of `ep`: a listing of the root, failing fast rather than retrying a dead address. */
function hadoopProbe(bin: string, root: string, o: ResolvedOptions, timeoutMs: number): Promise<unknown> {
  const fast = ['-D', 'ipc.client.connect.max.retries=1', '-D', 'ipc.client.connect.max.retries.on.timeouts=1', '-D', 'dfs.http.client.retry.policy.enabled=false', '-D', 'dfs.http.client.failover.max.attempts=1']
  return runCommand(bin, ['fs', ...fast, '-ls', '-d', root], { env: hadoopEnv(o), timeoutMs })
}

const MISSING_CHECK_LIMIT = 1000

/** The patterns naming nothing on `fs`: literal paths that do not exist, globs whose base directory does not. */
async function missingSources(fs: FileSystem, patterns: readonly string[]): Promise<string[]> {
  const missing: string[] = []
  for (const pattern of patterns.slice(0, MISSING_CHECK_LIMIT)) {
    const path = isGlob(pattern) ? patternBase(pattern) : pattern
    if (!(await fs.exists(path).catch(() => true))) missing.push(pattern)
  }
  return missing
}

/**
 * Reports which transfer methods could copy from `source` to `target` and why the others could
 * not, whether the source paths are there, the tools found (hadoop with its version, scp), whether each endpoint answers (through the
 * storage layer, and through hadoop for HDFS endpoints when a hadoop method applies), and the
 * room on the target where the store tells. Nothing is written. Throws only for invalid options.
 */
export async function checkTransfer(options: TransferCheckOptions): Promise<TransferCheck> {
  const { probeTimeoutMs, files, ...rest } = options
  const timeoutMs = probeTimeoutMs ?? 60_000
  const o = resolveOptions({ ...rest, files: files ?? '.', method: 'auto' })
  try {
    const tools: ToolCheck[] = []
    let hadoopBin: string | undefined
    let hadoopError: unknown
    try {
      hadoopBin = findHadoop(o.hadoop.bin)
    } catch (err) {
      hadoopError = err
    }
    const hadoopTool: ToolCheck = hadoopBin !== undefined ? { name: 'hadoop', path: hadoopBin } : { name: 'hadoop', error: problem(hadoopError) }
    tools.push(hadoopTool)
    try {
      tools.push({ name: 'scp', path: findScp(o.scp.bin) })
    } catch (err) {
      tools.push({ name: 'scp', error: problem(err) })
    }

    // The methods' own checks, before anything is contacted.
    const verdicts = AUTO_ORDER.map((m: TransferMethodImpl): MethodCheck => {
      const why = m.inapplicable(o)
      if (why !== undefined) return { method: m.name, available: false, reason: why, code: 'ERR_METHOD_INAPPLICABLE' }
      try {
        m.prepare(o)
        return { method: m.name, available: true }
      } catch (err) {
        const p = problem(err)
        return { method: m.name, available: false, reason: p.message, code: p.code }
      }
    })
    const hadoopWanted = hadoopBin !== undefined && verdicts.some((v) => v.available && HADOOP_METHODS.has(v.method))

    const sides = [
      { role: 'source' as const, ep: o.sourceEndpoint, fs: o.source },
      { role: 'target' as const, ep: o.targetEndpoint, fs: o.target },
    ]
    const versionP = hadoopBin !== undefined ? hadoopVersion(hadoopBin, o, timeoutMs).then((v) => (hadoopTool.version = v), (err: unknown) => (hadoopTool.error = problem(err))) : undefined
    const endpoints = await Promise.all(
      sides.map(async ({ role, ep, fs }): Promise<EndpointCheck> => {
        const probes: Promise<RouteCheck>[] = [timed('storage', storageAddress(ep, fs.protocol), () => fs.exists(''))]
        if (hadoopWanted && ep.kind === 'hadoop') {
          const root = hadoopFsRoot(ep, o.hadoop.namenode)
          probes.push(timed('hadoop', root, () => hadoopProbe(hadoopBin as string, root, o, timeoutMs)))
        }
        const check: EndpointCheck = { role, kind: describe(ep), routes: await Promise.all(probes) }
        if (role === 'source' && check.routes[0]?.reachable && o.patterns !== undefined) {
          const missing = await missingSources(fs, o.patterns)
          if (missing.length > 0) check.missing = missing
        }
        // Only stores that can tell declare space(); the others have no limit to report.
        const space = role === 'target' && check.routes[0]?.reachable ? fs.space?.('') : undefined
        if (space !== undefined) {
          try {
            check.space = await space
          } catch (err) {
            check.spaceError = problem(err)
          }
        }
        return check
      }),
    )
    await versionP

    // A method is available only when the endpoints answered on the route it uses.
    const unreachable = (via: RouteCheck['via']): RouteCheck | undefined => {
      for (const e of endpoints) {
        const r = e.routes.find((x) => x.via === via) ?? (via === 'hadoop' ? undefined : e.routes[0])
        if (r && !r.reachable) return r
      }
      return undefined
    }
    for (const v of verdicts) {
      if (!v.available) continue
      const bad = unreachable(HADOOP_METHODS.has(v.method) ? 'hadoop' : 'storage')
      if (bad) Object.assign(v, { available: false, reason: `${bad.address} did not answer (${bad.via}): ${bad.error?.message ?? ''}`, code: bad.error?.code })
    }
    const sourcesThere = endpoints.every((e) => e.missing === undefined)
    return { ok: sourcesThere && verdicts.some((v) => v.available), methods: verdicts, tools, endpoints }
  } finally {
    await Promise.all(o.owned.map((fs) => fs.close().catch(() => undefined)))
  }
}
