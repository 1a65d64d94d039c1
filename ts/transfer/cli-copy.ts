/** Shared steps of the CLI methods: temp target, verification, atomic publish, hadoop env. */
import { verifyCopy } from '../delivery/verify.js'
import { StorageError, type FileSystem } from '../storage/index.js'
import { dirnamePath, tempSibling } from '../storage/path.js'
import type { Endpoint } from './endpoint.js'
import { TransferError } from './errors.js'
import type { CopyDone } from './method.js'
import type { ResolvedOptions } from './options.js'

/**
 * What an external tool wrote, checked by the delivery core's one rule (delivery/verify.ts): the
 * source hashed once for what the target states, compared with the store (HDFS's own file
 * checksum, SFTP's server-side sha256, else a read-back). Returns the bytes and their sha256.
 */
export async function verifySame(source: FileSystem, srcPath: string, target: FileSystem, dstPath: string, size: number): Promise<CopyDone> {
  const d = await verifyCopy(source, srcPath, target, dstPath)
  if (d.bytes !== size) throw new TransferError('ERR_VERIFY_FAILED', `verification of '${dstPath}' failed: ${d.bytes} bytes read from the source, ${size} planned`)
  return { bytes: d.bytes, checksum: d.sha256 }
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
  const user = [o.targetEndpoint, o.sourceEndpoint].map((e: Endpoint) => (e.kind === 'hadoop' ? e.user : undefined)).find((u) => u !== undefined)
  return {
    ...(user ? { HADOOP_USER_NAME: user } : {}),
    ...(o.hadoop.conf ? { HADOOP_CONF_DIR: o.hadoop.conf } : {}),
    ...o.hadoop.env,
  }
}

export const DEFAULT_TOOL_TIMEOUT_MS = 3_600_000
