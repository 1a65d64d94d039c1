/**
 * WebHDFS chunked upload: every chunk is written in parallel as its own hidden temporary file
 * next to the target (over RPC where the filesystem writes natively, else the two-step CREATE),
 * then CONCAT appends parts 1..n-1 to part 0 on the NameNode (no data copied) and a rename
 * publishes part 0 under the target name (fs.publish: over RPC, or WebHDFS). A failure
 * deletes every temporary part. Parts are created with an explicit block size, so the file's HDFS
 * checksum (GETFILECHECKSUM, each part's blocks kept as they are) is known from the parts' own
 * (hdfsBlockMd5s): the caller checks it in `beforePublish`, between CONCAT and RENAME.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { ChunkedUploadSession, ChunkedUploadStrategy } from './chunked-strategy.js'
import { StorageError, isStorageError } from './errors.js'
import { HDFS_DEFAULT_BLOCK_SIZE } from './hdfs-checksum.js'
import { mapLimit } from './object-store.js'
import { basenamePath, dirnamePath, joinPath, normalizePath } from './path.js'
import { isTransient } from './transient.js'
import type { WebHdfsFileSystem } from './webhdfs.js'
import { nodeHttp, nodeHttps } from './sdk.js'

/** PUTs `data` to a DataNode URL; resolves with the status and body of its answer. */
function putToDataNode(location: string, data: Buffer): Promise<{ status: number; body: string }> {
  const target = new URL(location)
  return new Promise((resolve, reject) => {
    // node:http rather than fetch: DataNodes answer "100 Continue" unasked, which undici rejects.
    const req = (target.protocol === 'https:' ? nodeHttps() : nodeHttp()).request(target, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(data.length) },
    })
    req.once('error', reject)
    req.once('response', (r: IncomingMessage) => {
      const chunks: Buffer[] = []
      r.on('data', (c: Buffer) => chunks.push(c))
      r.once('error', reject)
      r.once('end', () => resolve({ status: r.statusCode ?? 500, body: Buffer.concat(chunks).toString() }))
    })
    req.end(data)
  })
}

export function webHdfsConcatStrategy(fs: WebHdfsFileSystem): ChunkedUploadStrategy {
  const createFile = async (path: string, data: Buffer, remotePath: string): Promise<void> => {
    // Over the NameNode's RPC port when the filesystem can (no DataNode-side close wait per part).
    const native = await fs.openNativeWrite(path, true, HDFS_DEFAULT_BLOCK_SIZE)
    if (native) {
      try {
        await native.write(data)
        await native.close()
      } catch (err) {
        native.abort()
        throw err
      }
      return
    }
    let res: Response
    try {
      res = await fetch(fs.operationUrl(path, 'CREATE', { overwrite: true, blocksize: HDFS_DEFAULT_BLOCK_SIZE }), { method: 'PUT', redirect: 'manual' })
    } catch (err) {
      throw await fs.responseError(err, remotePath)
    }
    if (res.status !== 307 && res.status !== 302) {
      if (res.ok) await res.body?.cancel()
      throw res.ok ? new StorageError('EIO', { backend: 'webhdfs', path: remotePath, detail: `CREATE answered ${res.status} without redirect` }) : await fs.responseError(res, remotePath)
    }
    await res.body?.cancel()
    const location = res.headers.get('location')
    if (!location) throw new StorageError('EIO', { backend: 'webhdfs', path: remotePath, detail: 'CREATE redirect without Location' })
    let answer: { status: number; body: string }
    try {
      answer = await putToDataNode(location, data)
    } catch (err) {
      throw new StorageError(isTransient(err) ? 'ETRANSIENT' : 'EIO', { backend: 'webhdfs', path: remotePath, cause: err })
    }
    if (answer.status !== 201 && answer.status !== 200) throw await fs.responseError(new Response(answer.body, { status: answer.status }), remotePath)
  }

  return {
    name: 'webhdfs-concat',
    minPartSize: 1,
    maxParts: 100_000,
    partChecksums: ['hdfs'],
    // HDFS states no MD5 of a part or of the whole: the block checksums decide, MD5s would be unused work.
    partMd5: false,
    hdfsBlockSize: HDFS_DEFAULT_BLOCK_SIZE,
    async begin(remotePath: string): Promise<ChunkedUploadSession> {
      const target = normalizePath(remotePath)
      const dir = dirnamePath(target)
      const tempBase = joinPath(dir, `.${basenamePath(target)}.logferry-tmp-${randomUUID()}`)
      const partPath = (i: number): string => `${tempBase}-p${String(i).padStart(6, '0')}`
      const created = new Set<string>()
      const existing = await fs.stat(target).then(
        (i) => i.kind,
        (err: unknown) => {
          if (isStorageError(err, 'ENOENT')) return undefined
          throw err
        },
      )
      if (existing === 'directory') throw new StorageError('EISDIR', { backend: 'webhdfs', path: remotePath })
      if (dir !== '') await fs.mkdir(dir, { parents: true })
      const remove = (p: string): Promise<void> => fs.deleteQuietly(p)
      const cleanup = async (): Promise<void> => {
        const parts = [...created]
        created.clear()
        await mapLimit(parts, 8, remove)
      }
      return {
        async uploadPart(index, data) {
          const p = partPath(index)
          created.add(p)
          await createFile(p, data, remotePath)
        },
        async complete(partCount, options) {
          try {
            const first = partPath(0)
            if (partCount > 1) await fs.concat(first, Array.from({ length: partCount - 1 }, (_, i) => partPath(i + 1)), remotePath)
            await options?.beforePublish?.({ path: first })
            await fs.publish(first, target, true)
            created.clear()
          } finally {
            await cleanup()
          }
        },
        abort: cleanup,
      }
    },
  }
}
