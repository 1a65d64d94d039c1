/** Helpers of the seed-switch and --check CLI tests: `logferry transfer` run from the sources, and HDFS locations. */
import { join, resolve } from 'node:path'
import { SERVERS_DIR } from '../servers/process.js'
import type { HdfsServer } from '../servers/types.js'
import { runNode, type Run } from './run-child.js'

export const HADOOP_HOME = join(SERVERS_DIR, 'hadoop')

export type { Run }

/** `logferry transfer ...args` from ts/cli.ts with `env` added to (and '' removing from) the environment. */
export function transferCli(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const full: NodeJS.ProcessEnv = { ...process.env }
  for (const k of ['USE_DISTCP', 'SOURCE_HDFS_PATH', 'SOURCE_CLUSTER', 'TARGET_CLUSTER', 'TARGET_HDFS_PATH']) delete full[k]
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete full[k]
    else full[k] = v
  }
  return runNode(['--import', 'tsx', resolve('ts/cli.ts'), 'transfer', ...args], full)
}

/** The cluster as --target-cluster takes it: its RPC address, with its WebHDFS address in ?url= (not on :9870 here). */
export function clusterArg(h: HdfsServer | undefined): string {
  return `${h?.rpcUrl ?? 'hdfs://127.0.0.1:1'}?url=${h?.url ?? 'http://127.0.0.1:1'}`
}

/** An hdfs:// URL of `dir` on the cluster, as user root. */
export function hdfsUrl(h: HdfsServer | undefined, dir: string): string {
  const rpc = (h?.rpcUrl ?? 'hdfs://127.0.0.1:1').replace(/^hdfs:\/\//, '')
  return `hdfs://root@${rpc}${dir}?url=${h?.url ?? 'http://127.0.0.1:1'}`
}
