/** 'hdfs-put' (`hadoop fs -put`, local -> HDFS) and 'hdfs-cp' (`hadoop fs -cp`, HDFS -> HDFS or local). */
import { DEFAULT_TOOL_TIMEOUT_MS, hadoopEnv, publishViaTemp } from './cli-copy.js'
import { hadoopUri } from './endpoint.js'
import { perFile, type TransferMethodImpl } from './method.js'
import type { ResolvedOptions } from './options.js'
import { runCommand } from './run-command.js'
import { findHadoop } from './tools.js'

function hadoopFsMethod(name: 'hdfs-put' | 'hdfs-cp', sub: '-put' | '-cp'): TransferMethodImpl {
  const inapplicable = (o: ResolvedOptions): string | undefined => {
    const s = o.sourceEndpoint
    const t = o.targetEndpoint
    if (name === 'hdfs-put' && s.kind !== 'local') return `${name} copies local files (source is ${s.kind === 'other' ? s.protocol : s.kind})`
    if (name === 'hdfs-cp' && s.kind !== 'hadoop') return `${name} copies from Hadoop (HDFS) (source is ${s.kind === 'other' ? s.protocol : s.kind})`
    if (t.kind !== 'hadoop' && !(name === 'hdfs-cp' && t.kind === 'local')) {
      return t.kind === 'other' ? `${name}: ${t.why}` : `${name} cannot write to a ${t.kind} target`
    }
    if (o.compress) return `${name} does not compress`
    if (o.bandwidth !== undefined) return `${name} cannot limit bandwidth`
    return undefined
  }
  return {
    name,
    inapplicable,
    prepare: (o) => void findHadoop(o.hadoop.bin),
    run: (files, ctx) => {
      const { o } = ctx
      const bin = findHadoop(o.hadoop.bin)
      const env = hadoopEnv(o)
      return perFile(files, ctx, (f) =>
        publishViaTemp(o, f.source, f.target, f.size, async (tmp) => {
          const src = hadoopUri(o.sourceEndpoint, f.source, o.hadoop.namenode)
          const dst = hadoopUri(o.targetEndpoint, tmp, o.hadoop.namenode)
          // The temp name is fresh; -f only replaces a leftover of a killed attempt, never the target.
          const args = ['fs', sub, ...(o.overwrite === 'never' ? [] : ['-f']), src, dst]
          await runCommand(bin, args, { env, signal: o.signal, timeoutMs: o.hadoop.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS })
        }),
      )
    },
  }
}

export const hdfsPutMethod = hadoopFsMethod('hdfs-put', '-put')
export const hdfsCpMethod = hadoopFsMethod('hdfs-cp', '-cp')
