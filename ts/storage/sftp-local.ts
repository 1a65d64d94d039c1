/**
 * Reading a file of this machine for an SFTP upload (SftpFileSystem.writeLocalFile): small
 * files whole (readLocal, hashed on the libuv pool), larger ones in chunks sent as they are read,
 * while the pool hashes the file where it lies.
 */
import { promises as fsp } from 'node:fs'
import type { FileDigest } from '../binding.cjs'
import { StorageError } from './errors.js'
import { readLocal } from './object-store.js'
import type { LocalFileDigest } from './types.js'

/** A local file up to this size is read whole and sent from memory (4 files at a time: 32 MiB). */
export const LOCAL_BUFFER_MAX = 8 << 20

/** Bytes read per chunk of a larger file: whole write requests, few reads. */
const CHUNK = 4 << 20

/** A local file's failure, as readLocal reports it (the source file is what failed, not the server). */
export function localError(localPath: string, err: unknown): StorageError {
  const errno = (err as { code?: string }).code
  const code = errno === 'ENOENT' || errno === 'EACCES' || errno === 'EISDIR' ? errno : 'EIO'
  return new StorageError(code, { backend: 'file', path: localPath, cause: err })
}

export function digestOf(d: FileDigest): LocalFileDigest {
  const out: LocalFileDigest = { bytes: d.bytes }
  if (d.sha256 !== undefined) out.sha256 = d.sha256
  if (d.md5 !== undefined) out.md5 = d.md5
  if (d.crc32c !== undefined) out.crc32c = d.crc32c
  return out
}

/**
 * The file's bytes for one upload: `data` (read whole, `digest` of those bytes) when it is small,
 * else `digest` of a hash pass running on the pool (started here) and `send` to read and send it.
 */
export async function localSource(
  localPath: string,
  kinds: string[],
): Promise<{ data: Buffer; digest: Promise<LocalFileDigest> } | { send: (write: (chunk: Buffer) => Promise<void>) => Promise<void>; digest: Promise<LocalFileDigest> }> {
  const size = await fsp.stat(localPath).then(
    (s) => s.size,
    () => 0, // readLocal reports the failure
  )
  if (size <= LOCAL_BUFFER_MAX) {
    const r = await readLocal(localPath, LOCAL_BUFFER_MAX, kinds)
    if (r.data !== undefined) return { data: r.data, digest: Promise.resolve(digestOf(r.d)) }
  }
  // The hash pass and the upload read the file apart: one that changed in between fails the
  // comparison of this digest with the server's hash of what it stored.
  const digest = readLocal(localPath, 0, kinds).then((r) => digestOf(r.d))
  digest.catch(() => undefined)
  return { digest, send: (write) => sendChunks(localPath, write) }
}

/**
 * Reads the file in chunks, the next one while the previous is being sent, into two buffers
 * used in turn: `write` resolves once its requests are issued, and ssh2 has copied their bytes
 * by then (WritePipeline), so a buffer is free again for the read after next. (A fresh buffer
 * per chunk was a third of the bytes the JS heap churned through on a large upload.)
 */
async function sendChunks(localPath: string, write: (chunk: Buffer) => Promise<void>): Promise<void> {
  let handle: fsp.FileHandle
  try {
    handle = await fsp.open(localPath, 'r')
  } catch (err) {
    throw localError(localPath, err)
  }
  try {
    const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)] as const
    let turn = 0
    const next = (): Promise<Buffer> => {
      const into = buffers[turn++ % 2] as Buffer
      return handle.read(into, 0, CHUNK, null).then(
        (r) => into.subarray(0, r.bytesRead),
        (err: unknown) => {
          throw localError(localPath, err)
        },
      )
    }
    let reading = next()
    for (;;) {
      const chunk = await reading
      if (chunk.length === 0) break
      reading = next()
      reading.catch(() => undefined)
      await write(chunk)
    }
  } finally {
    await handle.close().catch(() => undefined)
  }
}
