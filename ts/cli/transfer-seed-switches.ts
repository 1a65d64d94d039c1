/**
 * The switches and environment variables of the seed's transfer tool (seed 002) on `logferry
 * transfer`: `--use-distcp` / `--no-distcp`, `--source-hdfs-path`, `--target-cluster`,
 * `--target-hdfs-path` and USE_DISTCP, SOURCE_HDFS_PATH, TARGET_CLUSTER, TARGET_HDFS_PATH, turned
 * into the SRC... DEST locations and the method of an ordinary run (docs/migrating-from-seed-002.md).
 *
 * A role (the sources, the target, the method) is taken from its command-line flag, else from the
 * positional arguments, else from the environment: the environment only fills in what the command
 * line leaves open, so an exported TARGET_HDFS_PATH never redirects `logferry transfer a b`.
 */
import { ConfigError } from '../config-error.js'
import { custom, object, optional, string } from '../options/schema.js'
import { configErrorReporter, validateOptions } from '../options/validate-options.js'
import type { TransferMethod } from '../transfer/index.js'

/** A usage mistake on the command line (exit status 2, the usage is printed). */
export class UsageError extends Error {}

export interface SeedFlags {
  useDistcp?: boolean
  noDistcp?: boolean
  sourceHdfsPath?: string
  sourceCluster?: string
  targetCluster?: string
  targetHdfsPath?: string
}

/** The variables read, as the seed names them. */
export interface SeedEnv {
  USE_DISTCP?: boolean
  SOURCE_HDFS_PATH?: string
  SOURCE_CLUSTER?: string
  TARGET_CLUSTER?: string
  TARGET_HDFS_PATH?: string
}

/** A NameNode: hdfs://host[:port] (RPC; WebHDFS on the host's :9870 unless ?url= says), webhdfs:// or swebhdfs:// (HTTP), or host[:port] for hdfs://. */
const CLUSTER = /^(?:(hdfs|webhdfs|swebhdfs):\/\/)?((?:[^\s/?#@]+@)?(?:\[[0-9a-fA-F:.]+\]|[^\s/?#:@[\]]+)(?::\d{1,5})?)\/?(\?\S*)?$/
const CLUSTER_HINT = "a NameNode like 'hdfs://host:8020', 'host:8020' or 'webhdfs://host:9870'"
const HDFS_URL = /^(?:hdfs|webhdfs|swebhdfs):\/\//
const HDFS_PATH_HINT = "an absolute HDFS path ('/data/in') or an hdfs:// / webhdfs:// URL"

const BOOL_WORDS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false, yes: true, no: false }
const envBoolean = custom<boolean>(
  'true or false',
  (v) => typeof v === 'string',
  (v, ctx) => {
    const b = BOOL_WORDS[String(v).trim().toLowerCase()]
    if (b === undefined) ctx.fail('range', `must be true or false (or 1/0, yes/no), got '${String(v)}'`)
    return b
  },
)
const cluster = string({ nonEmpty: true, pattern: CLUSTER, hint: CLUSTER_HINT })
const hdfsPath = string({ nonEmpty: true, pattern: /^(\/|(?:hdfs|webhdfs|swebhdfs):\/\/)/, hint: HDFS_PATH_HINT })
const ENV = object({
  USE_DISTCP: optional(envBoolean),
  SOURCE_HDFS_PATH: optional(hdfsPath),
  SOURCE_CLUSTER: optional(cluster),
  TARGET_CLUSTER: optional(cluster),
  TARGET_HDFS_PATH: optional(hdfsPath),
})
const ENV_KEYS = ENV.keys

/**
 * The seed's variables from `env`, checked: a bad value is a ConfigError (ERR_INVALID_CONFIG)
 * whose key is the variable. Empty variables count as unset.
 */
export function readSeedEnv(env: NodeJS.ProcessEnv): SeedEnv {
  const picked: Record<string, string> = {}
  for (const k of ENV_KEYS) {
    const v = env[k]
    if (v !== undefined && v !== '') picked[k] = v
  }
  return validateOptions(ENV, picked, configErrorReporter((i) => `is not a seed variable (${i.path})`))
}

function flagError(flag: string, problem: string): UsageError {
  return new UsageError(`${flag} ${problem}`)
}

interface Cluster {
  /** scheme://authority */
  base: string
  /** '' or '?...' (e.g. ?url= naming the WebHDFS address) */
  query: string
}

/** A NameNode given by a flag or variable; `name` is how the error names it. */
function parseCluster(value: string, name: string, fromEnv: boolean): Cluster {
  const m = CLUSTER.exec(value.trim())
  if (!m) throw fromEnv ? new ConfigError(`must be ${CLUSTER_HINT}, got '${value}'`, { key: name }) : flagError(name, `must be ${CLUSTER_HINT}, got '${value}'`)
  return { base: `${m[1] ?? 'hdfs'}://${m[2] as string}`, query: m[3] ?? '' }
}

/** The cluster of an hdfs:// / webhdfs:// URL, or undefined for anything else. */
function clusterOfUrl(location: string | undefined): Cluster | undefined {
  if (location === undefined || !HDFS_URL.test(location)) return undefined
  const u = /^([a-z]+:\/\/[^/?#]+)[^?#]*(\?[^#]*)?/.exec(location)
  return u ? { base: u[1] as string, query: u[2] ?? '' } : undefined
}

/** `path` on `cluster`, or `path` itself when it is already a URL. */
function onCluster(path: string, cluster: Cluster | undefined, what: string): string {
  if (HDFS_URL.test(path)) return path
  if (!path.startsWith('/')) throw new UsageError(`${what} must be ${HDFS_PATH_HINT}, got '${path}'`)
  if (cluster === undefined) throw new UsageError(`${what} '${path}' is an HDFS path with no cluster: name it with --target-cluster / --source-cluster (or TARGET_CLUSTER / SOURCE_CLUSTER), or give a URL`)
  return `${cluster.base}${path}${cluster.query}`
}

function checkHdfsPath(value: string, flag: string): string {
  if (!HDFS_URL.test(value) && !value.startsWith('/')) throw flagError(flag, `must be ${HDFS_PATH_HINT}, got '${value}'`)
  return value
}

export interface SeedLocations {
  /** SRC locations (paths, globs, URLs), in order. */
  sources: string[]
  /** DEST location. */
  target: string
}

/**
 * The SRC... DEST of a run from the positional arguments, the seed's flags and its variables.
 * Without a target flag the last positional is DEST, as always; with --target-cluster or
 * --target-hdfs-path every positional is a SRC. --source-hdfs-path adds a SRC. A lone positional
 * is DEST when a source is set (flag, or SOURCE_HDFS_PATH) and no target flag is, else a SRC whose
 * target comes from TARGET_CLUSTER / TARGET_HDFS_PATH. An HDFS path without a cluster goes on the
 * cluster the other side names (a same-cluster copy); a cluster without a path means its root.
 */
export function seedLocations(positionals: readonly string[], flags: SeedFlags, env: SeedEnv): SeedLocations {
  const targetByFlag = flags.targetCluster !== undefined || flags.targetHdfsPath !== undefined
  const targetByEnv = env.TARGET_CLUSTER !== undefined || env.TARGET_HDFS_PATH !== undefined
  const pos = [...positionals]
  let dest: string | undefined
  if (!targetByFlag) {
    if (pos.length >= 2) dest = pos.pop()
    else if (pos.length === 1 && (flags.sourceHdfsPath !== undefined || (!targetByEnv && env.SOURCE_HDFS_PATH !== undefined))) dest = pos.pop()
  }
  const sourceFlag = flags.sourceHdfsPath !== undefined ? checkHdfsPath(flags.sourceHdfsPath, '--source-hdfs-path') : undefined
  const sourcePath = sourceFlag ?? (pos.length === 0 ? env.SOURCE_HDFS_PATH : undefined)
  const sourceWhat = sourceFlag !== undefined ? '--source-hdfs-path' : 'SOURCE_HDFS_PATH'
  if (pos.length === 0 && sourcePath === undefined) throw new UsageError('give at least one SRC (or --source-hdfs-path / SOURCE_HDFS_PATH) and a DEST')

  const sc = flags.sourceCluster !== undefined ? parseCluster(flags.sourceCluster, '--source-cluster', false) : env.SOURCE_CLUSTER !== undefined ? parseCluster(env.SOURCE_CLUSTER, 'SOURCE_CLUSTER', true) : undefined
  let target: string
  if (dest !== undefined) target = dest
  else {
    const tcValue = flags.targetCluster ?? env.TARGET_CLUSTER
    const tc = tcValue === undefined ? undefined : parseCluster(tcValue, flags.targetCluster !== undefined ? '--target-cluster' : 'TARGET_CLUSTER', flags.targetCluster === undefined)
    const tp = flags.targetHdfsPath !== undefined ? checkHdfsPath(flags.targetHdfsPath, '--target-hdfs-path') : env.TARGET_HDFS_PATH
    if (tc === undefined && tp === undefined) throw new UsageError('give a DEST (or --target-cluster / --target-hdfs-path, TARGET_CLUSTER / TARGET_HDFS_PATH)')
    const tpWhat = flags.targetHdfsPath !== undefined ? '--target-hdfs-path' : 'TARGET_HDFS_PATH'
    if (tc !== undefined && tp !== undefined && HDFS_URL.test(tp)) throw new UsageError(`${tpWhat} is a URL ('${tp}'): give the cluster in one place, not also in --target-cluster / TARGET_CLUSTER`)
    const otherSide = sc ?? clusterOfUrl(sourcePath) ?? clusterOfUrl(pos.find((p) => HDFS_URL.test(p)))
    target = onCluster(tp ?? '/', tc ?? otherSide, tpWhat)
  }
  const sources = [...pos]
  if (sourcePath !== undefined) sources.push(onCluster(sourcePath, sc ?? clusterOfUrl(target), sourceWhat))
  return { sources, target }
}

/**
 * The method the seed's switches ask for: --use-distcp is 'distcp'; --no-distcp is 'storage' (no
 * hadoop at all; the seed's own no-distcp chain ended in copies that need no cluster tools, and
 * --method hdfs-put asks for `hadoop fs -put` explicitly). --method wins over USE_DISTCP;
 * --method with a contradicting --use-distcp / --no-distcp is a usage error.
 */
export function seedMethod(method: string | undefined, flags: SeedFlags, env: SeedEnv): TransferMethod | undefined {
  if (flags.useDistcp && flags.noDistcp) throw new UsageError('--use-distcp and --no-distcp contradict each other')
  const fromFlag = flags.useDistcp ? 'distcp' : flags.noDistcp ? 'storage' : undefined
  if (method !== undefined) {
    if (flags.useDistcp && method !== 'distcp') throw new UsageError(`--use-distcp contradicts --method ${method}`)
    if (flags.noDistcp && method === 'distcp') throw new UsageError('--no-distcp contradicts --method distcp')
    return method as TransferMethod
  }
  if (fromFlag !== undefined) return fromFlag
  if (env.USE_DISTCP === undefined) return undefined
  return env.USE_DISTCP ? 'distcp' : 'storage'
}
