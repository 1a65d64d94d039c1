/** Shared steps of the CLI methods: temp target, verification, atomic publish, hadoop env. */
import { StorageError, type FileSystem } from '../storage/index.js'
import { dirnamePath, tempSibling } from '../storage/path.js'
import type { Endpoint } from './endpoint.js'
import { TransferError } from './errors.js'
import type { CopyDone } from './method.js'
import type { ResolvedOptions } from './options.js'

/** sha256 of both sides compared (each read through the storage layer); returns the target's. */
export async function verifySame(source: FileSystem, srcPath: string, target: FileSystem, dstPath: string, size: number): Promise<CopyDone> {
  const info = await target.stat(dstPath)
  if (info.size !== size) {
    throw new TransferError('ERR_VERIFY_FAILED', `verification of '${dstPath}' failed: size ${info.size} on the target, ${size} on the source`)
  }
  const [a, b] = await Promise.all([source.checksum(srcPath, 'sha256'), target.checksum(dstPath, 'sha256')])
  if (a.value !== b.value) {
    throw new TransferError('ERR_VERIFY_FAILED', `verification of '${dstPath}' failed: sha256 ${b.value} on the target, ${a.value} on the source`)
  }
  return { bytes: info.size, checksum: b.value }
}

/**
 * Runs `copyTo(tempPath)` (an external tool writing a hidden temp sibling of `dstPath`), verifies
 * the temp file, then moves it into place through the storage layer. Nothing is left behind on
 * failure; with `noClobber` an existing target is never replaced.
 */
export async function publishViaTemp(
  o: ResolvedOptions,
  srcPath: string,
  dstPath: string,
  size: number,
  copyTo: (tempPath: string) => Promise<void>,
): Promise<CopyDone> {
  const target = o.target
  const tmp = tempSibling(dstPath)
  const parent = dirnamePath(dstPath)
  if (parent !== '') await target.mkdir(parent, { parents: true })
  try {
    await copyTo(tmp)
    const done = o.verify ? await verifySame(o.source, srcPath, target, tmp, size) : { bytes: (await target.stat(tmp)).size, checksum: '' }
    if (o.overwrite === 'never' && (await target.exists(dstPath))) throw new StorageError('EEXIST', { backend: target.protocol, path: dstPath })
    await target.mv(tmp, dstPath)
    return done
  } catch (err) {
    await target.rm(tmp).catch(() => undefined)
    throw err
  }
}

/** Environment for hadoop: the HDFS user of the endpoints, HADOOP_CONF_DIR, the caller's extras. */
export function hadoopEnv(o: ResolvedOptions): Record<string, string> {
  const user = [o.targetEndpoint, o.sourceEndpoint].map((e: Endpoint) => (e.kind === 'hdfs' ? e.user : undefined)).find((u) => u !== undefined)
  return {
    ...(user ? { HADOOP_USER_NAME: user } : {}),
    ...(o.hadoop.conf ? { HADOOP_CONF_DIR: o.hadoop.conf } : {}),
    ...o.hadoop.env,
  }
}

export const DEFAULT_TOOL_TIMEOUT_MS = 3_600_000
