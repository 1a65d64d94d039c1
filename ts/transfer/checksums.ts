/** Checksums: hashing while streaming, verifying a written file, comparing two sides cheaply. */
import { createHash, type Hash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'
import { HdfsChecksumHasher, isStorageError, parseHdfsChecksum, type Checksum, type FileSystem, type WrittenObject } from '../storage/index.js'
import { SHA256_KEY } from './metadata.js'

/** Backends whose 'native' checksum is server-side metadata (no read-back of the content). */
const METADATA_NATIVE = new Set(['s3', 'gs', 'az', 'webhdfs'])

/** Targets whose native checksum is an MD5 the server keeps: the only ones the streamed MD5 is for. */
const MD5_NATIVE = new Set(['s3', 'gs', 'az'])

/** Whether verifying a copy on `fs` can use an MD5 of the content (else it is not computed). */
export function usesMd5(fs: FileSystem): boolean {
  return MD5_NATIVE.has(fs.protocol)
}

export interface StreamDigest {
  sha256: string
  /** MD5 of the content, when it was asked for (targets that keep an MD5). */
  md5?: string
  bytes: number
  /** HDFS's file checksum of the content for this block size (when asked for). */
  hdfs?: { blockSize: number; md5: string }
}

/**
 * A pass-through that hashes (sha256; md5 for targets that keep one; HDFS's MD5-of-MD5-of-CRC32C
 * for HDFS) and counts what flows through it.
 */
export class HashingStream extends Transform {
  private readonly sha = createHash('sha256')
  private readonly md5: Hash | undefined
  private readonly hdfs: HdfsChecksumHasher | undefined
  private count = 0

  constructor(
    private readonly onBytes?: (n: number) => void,
    options: { hdfs?: boolean; md5?: boolean } = {},
  ) {
    super()
    this.md5 = options.md5 ? createHash('md5') : undefined
    this.hdfs = options.hdfs ? new HdfsChecksumHasher() : undefined
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.sha.update(chunk)
    this.md5?.update(chunk)
    this.hdfs?.update(chunk)
    this.count += chunk.length
    this.onBytes?.(chunk.length)
    cb(null, chunk)
  }

  digest(): StreamDigest {
    const d: StreamDigest = { sha256: this.sha.digest('hex'), bytes: this.count }
    if (this.md5) d.md5 = this.md5.digest('hex')
    if (this.hdfs) d.hdfs = { blockSize: this.hdfs.blockSize, md5: this.hdfs.digest() }
    return d
  }
}

/**
 * HDFS: compares GETFILECHECKSUM with the checksum computed while streaming, when the file's
 * block size and checksum type are the ones it was computed for: undefined when they match, a
 * description when they differ, 'not comparable' when the server's checksum is of another kind.
 */
async function verifyHdfs(fs: FileSystem, path: string, blockSize: number | undefined, d: StreamDigest): Promise<string | undefined | 'not comparable'> {
  if (!d.hdfs || blockSize !== d.hdfs.blockSize) return 'not comparable'
  const remote = parseHdfsChecksum(await fs.checksum(path, 'native'))
  if (!remote || remote.crc !== 'CRC32C' || remote.bytesPerCrc !== 512) return 'not comparable'
  return remote.md5 === d.hdfs.md5 ? undefined : `HDFS checksum ${remote.md5} on the target, ${d.hdfs.md5} streamed`
}

/** Whether a native checksum states the content's MD5, and if so that MD5 as hex. */
function md5Of(c: Checksum): string | undefined {
  if (c.algorithm === 'md5') return c.value.toLowerCase()
  if (c.algorithm === 'md5-base64') return Buffer.from(c.value, 'base64').toString('hex')
  if (c.algorithm === 's3-etag') {
    const v = c.value.replace(/"/g, '')
    // Multipart ETags ("<md5 of md5s>-<parts>") do not state the content's MD5.
    return /^[0-9a-f]{32}$/i.test(v) ? v.toLowerCase() : undefined
  }
  return undefined
}

/**
 * Checks that `path` on `fs` holds exactly the streamed content. Uses the MD5 the store answered
 * the write with (S3 single-part ETag, GCS single-request upload), else the backend's native MD5 when it states one cheaply (S3 single-part ETag, GCS/Azure Content-MD5); else the
 * `logferry-sha256` metadata stored with the object (S3 multipart, Azure block blobs without
 * MD5); else sha256 of the target (hashed on the SFTP server, read back elsewhere); WebHDFS compares its MD5-of-MD5-of-CRC32C with
 * the one computed while streaming (read-back and sha256 when the block size or CRC type differ).
 * Returns a description of the mismatch, or undefined.
 */
export async function verifyWritten(fs: FileSystem, path: string, d: StreamDigest, answered?: WrittenObject): Promise<string | undefined> {
  // The store answered the write with the MD5 of what it stored (S3 single-part PUT, GCS
  // single-request upload): nothing more to ask.
  const answeredMd5 = answered?.md5
  if (answeredMd5 !== undefined && d.md5 !== undefined) {
    return answeredMd5 === d.md5 ? undefined : `md5 ${answeredMd5} in the store's answer, ${d.md5} streamed`
  }
  const info = await fs.stat(path)
  if (info.size !== d.bytes) return `size ${info.size} on the target, ${d.bytes} bytes streamed`
  const stored = info.metadata?.[SHA256_KEY]
  const etagMd5 = fs.protocol === 's3' && info.etag !== undefined ? md5Of({ algorithm: 's3-etag', value: info.etag }) : undefined
  // The stat already states the MD5 (S3 single-part ETag, GCS md5Hash): no second request.
  const statMd5 = etagMd5 ?? (fs.protocol === 'gs' && info.etag !== undefined && /^[A-Za-z0-9+/]{22}==$/.test(info.etag) ? md5Of({ algorithm: 'md5-base64', value: info.etag }) : undefined)
  if (statMd5 !== undefined && d.md5 !== undefined) return statMd5 === d.md5 ? undefined : `md5 ${statMd5} on the target, ${d.md5} streamed`
  if (stored !== undefined && etagMd5 === undefined && (fs.protocol === 's3' || fs.protocol === 'az')) {
    return stored === d.sha256 ? undefined : `${SHA256_KEY} ${stored} on the target, ${d.sha256} streamed`
  }
  if (fs.protocol === 'webhdfs') {
    const r = await verifyHdfs(fs, path, info.blockSize, d)
    if (r !== 'not comparable') return r
  } else if (d.md5 !== undefined && usesMd5(fs)) {
    const md5 = md5Of(await fs.checksum(path, 'native'))
    if (md5 !== undefined) return md5 === d.md5 ? undefined : `md5 ${md5} on the target, ${d.md5} streamed`
  }
  // Local disk and memory hash here, SFTP on the server (sha256sum); elsewhere a read-back.
  const sha = await fs.checksum(path, 'sha256')
  return sha.value === d.sha256 ? undefined : `sha256 ${sha.value} on the target, ${d.sha256} streamed`
}

/**
 * Native checksums of both sides when both come from server metadata with the same algorithm;
 * undefined when they are not comparable (then size + mtime decide).
 */
export async function comparableChecksums(
  a: FileSystem,
  aPath: string,
  b: FileSystem,
  bPath: string,
): Promise<{ equal: boolean } | undefined> {
  if (!METADATA_NATIVE.has(a.protocol) || !METADATA_NATIVE.has(b.protocol)) return undefined
  try {
    const [x, y] = await Promise.all([a.checksum(aPath, 'native'), b.checksum(bPath, 'native')])
    const mx = md5Of(x)
    const my = md5Of(y)
    if (mx !== undefined && my !== undefined) return { equal: mx === my }
    if (x.algorithm === y.algorithm) return { equal: x.value === y.value }
    return undefined
  } catch (err) {
    if (isStorageError(err) && err.code !== 'ETRANSIENT') return undefined
    throw err
  }
}
