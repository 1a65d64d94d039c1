/**
 * Reading a file of this machine for an HDFS write (WebHdfsFileSystem.writeLocalFile): in chunks
 * handed to the write as they are read, hashed on the way (sha256 and the other checksums asked
 * for, HDFS's file checksum), with no stream per file. The digest is of exactly the bytes
 * written: one read serves both, so a file that changes meanwhile cannot be reported by another
 * version's checksum.
 */
import { createHash, type Hash } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import { HdfsChecksumHasher, HDFS_DEFAULT_BLOCK_SIZE } from './hdfs-checksum.js'
import { localError } from './sftp-local.js'
import type { LocalFileDigest } from './types.js'

/** Largest read: 1 MiB, a whole number of WRITE_BLOCK packets (PACKET_DATA), so no packet is split across reads. */
const CHUNK = 1 << 20

/**
 * Reads `localPath` to its end, each chunk hashed then passed to `write` (awaited before the next
 * read; a chunk is a buffer of its own, which the writer may keep). Failures of the local file are
 * StorageErrors of backend 'file'; `write`'s are passed on as they are.
 */
export async function readHashed(localPath: string, checksums: readonly string[], write: (chunk: Buffer) => Promise<void>): Promise<LocalFileDigest> {
  const sha256 = checksums.includes('sha256') ? createHash('sha256') : undefined
  const md5 = checksums.includes('md5') ? createHash('md5') : undefined
  const hdfs = checksums.includes('hdfs') ? new HdfsChecksumHasher(HDFS_DEFAULT_BLOCK_SIZE) : undefined
  const unknown = checksums.find((k) => k !== 'sha256' && k !== 'md5' && k !== 'hdfs')
  if (unknown !== undefined) throw new TypeError(`readHashed: no '${unknown}' checksum (sha256, md5, hdfs)`)
  let handle: fsp.FileHandle
  try {
    handle = await fsp.open(localPath, 'r')
  } catch (err) {
    throw localError(localPath, err)
  }
  let bytes = 0
  try {
    const size = await handle.stat().then(
      (s) => s.size,
      (err: unknown) => {
        throw localError(localPath, err)
      },
    )
    for (;;) {
      // One byte more than the size still expected: a short read at the size is the end, with no
      // read of its own to find it (a file still growing is read on).
      const want = Math.min(CHUNK, Math.max(size - bytes, 0) + 1)
      const chunk = Buffer.allocUnsafe(want)
      const n = await handle.read(chunk, 0, want, null).then(
        (r) => r.bytesRead,
        (err: unknown) => {
          throw localError(localPath, err)
        },
      )
      if (n === 0) break
      const data = n === want ? chunk : chunk.subarray(0, n)
      sha256?.update(data)
      md5?.update(data)
      hdfs?.update(data)
      bytes += n
      await write(data)
      if (n < want && bytes >= size) break
    }
  } finally {
    await handle.close().catch(() => undefined)
  }
  const d: LocalFileDigest = { bytes }
  if (sha256) d.sha256 = sha256.digest('hex')
  if (md5) d.md5 = md5.digest('hex')
  if (hdfs) d.hdfs = { blockSize: hdfs.blockSize, md5: hdfs.digest() }
  return d
}
