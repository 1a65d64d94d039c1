/**
 * The one verification rule for every published byte (docs/delivery.md, "Verification"): a
 * checksum computed while the bytes stream by (or per part, for chunked uploads) is compared with
 * what the store itself states about what it stored: an MD5 (in the write's answer or the stat),
 * the MD5 of the parts' MD5s, a CRC32C, HDFS's file checksum, a sha256 the server computes; and
 * where the store states none of these, with a sha256 of the bytes read back. The size alone is
 * never taken for a verification. Which of these a target offers is its declared
 * capabilities.nativeChecksum, never its name.
 */
import { createHash, type Hash } from 'node:crypto'
import { Transform, Writable, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { HdfsChecksumHasher, hdfsFileMd5, parseHdfsChecksum } from '../storage/hdfs-checksum.js'
import { capabilitiesOf } from '../storage/capabilities.js'
import { isStorageError } from '../storage/errors.js'
import { native } from '../native.js'
import type { WrittenObject } from '../storage/streams.js'
import type { Checksum, FileSystem, NativeChecksumKind } from '../storage/types.js'
import { TransferError } from '../transfer/errors.js'

/** The error of a copy whose stored bytes differ from the bytes read (code ERR_VERIFY_FAILED). */
export function verifyFailed(what: string, mismatch: string, cause?: unknown): TransferError {
  return new TransferError('ERR_VERIFY_FAILED', `verification of '${what}' failed: ${mismatch}`, cause === undefined ? undefined : { cause })
}

/** A store that refused or misreported a part's bytes (StorageError ECHECKSUM) is a verify failure. */
export function asVerifyFailure(err: unknown, what: string): unknown {
  return isStorageError(err, 'ECHECKSUM') ? verifyFailed(what, err.message, err) : err
}

/** What was computed while the bytes went by. */
export interface StreamDigest {
  /** sha256 of the content (absent when not asked for: see HashingStream). */
  sha256?: string
  bytes: number
  /** MD5 of the content (targets with 'md5'). */
  md5?: string
  /** `<md5 of part MD5s>-<n>` for the target's part size (targets with 'md5-of-parts'). */
  md5OfParts?: string
  /** CRC32C, 8 hex digits (targets with 'crc32c'). */
  crc32c?: string
  /** HDFS's file checksum of the content for this block size (targets with 'hdfs'). */
  hdfs?: { blockSize: number; md5: string }
}

/** The kinds of checksum worth computing for a copy to `fs` (sha256 is always computed). */
export function digestKindsFor(fs: FileSystem): ReadonlySet<NativeChecksumKind> {
  return new Set(capabilitiesOf(fs).nativeChecksum.kinds)
}

// ---- CRC32C -----------------------------------------------------------------------------------

/** CRC32C of `data` (the native crc32c). */
export function crc32cOf(data: Uint8Array): number {
  if (data.length === 0) return 0
  return native.crc32cChunks(data, data.length).readUInt32BE(0)
}

const CRC32C_POLY = 0x82f63b78

function gf2Times(mat: Uint32Array, vec: number): number {
  let sum = 0
  let v = vec >>> 0
  for (let i = 0; v !== 0; i++, v >>>= 1) if (v & 1) sum ^= mat[i] as number
  return sum >>> 0
}

function gf2Square(square: Uint32Array, mat: Uint32Array): void {
  for (let n = 0; n < 32; n++) square[n] = gf2Times(mat, mat[n] as number)
}

/** CRC32C of A+B from crc(A), crc(B) and B's length (zlib's crc32_combine, for CRC32C). */
export function crc32cCombine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB <= 0) return crcA >>> 0
  const even = new Uint32Array(32)
  const odd = new Uint32Array(32)
  odd[0] = CRC32C_POLY
  for (let n = 1, row = 1; n < 32; n++, row <<= 1) odd[n] = row
  gf2Square(even, odd)
  gf2Square(odd, even)
  let crc = crcA >>> 0
  let len = lengthB
  for (;;) {
    gf2Square(even, odd)
    if (len % 2 === 1) crc = gf2Times(even, crc)
    len = Math.floor(len / 2)
    if (len === 0) break
    gf2Square(odd, even)
    if (len % 2 === 1) crc = gf2Times(odd, crc)
    len = Math.floor(len / 2)
    if (len === 0) break
  }
  return (crc ^ crcB) >>> 0
}

const crcHex = (crc: number): string => (crc >>> 0).toString(16).padStart(8, '0')

// ---- hashing while streaming -----------------------------------------------------------------

/**
 * A pass-through that hashes what flows through it: the checksums the target states (its
 * nativeChecksum kinds), sha256 unless told not to, and counts the bytes. With 'md5-of-parts'
 * the MD5s are taken per part only: a one-part content's MD5 is its part's.
 */
export class HashingStream extends Transform {
  private readonly sha: Hash | undefined
  private readonly md5: Hash | undefined
  private readonly hdfs: HdfsChecksumHasher | undefined
  private crc: number | undefined
  private readonly partSize: number | undefined
  private part: Hash | undefined
  private partBytes = 0
  private readonly partMd5s: Buffer[] = []
  private count = 0

  constructor(
    private readonly onBytes?: (n: number) => void,
    kinds: ReadonlySet<NativeChecksumKind> = new Set(),
    /** Part size of the target's multipart stream writes (for 'md5-of-parts'). */
    partSize?: number,
    sha256 = true,
  ) {
    super()
    this.sha = sha256 ? createHash('sha256') : undefined
    this.partSize = kinds.has('md5-of-parts') && partSize !== undefined && partSize > 0 ? partSize : undefined
    this.wholeMd5 = kinds.has('md5')
    this.md5 = this.wholeMd5 && this.partSize === undefined ? createHash('md5') : undefined
    this.hdfs = kinds.has('hdfs') ? new HdfsChecksumHasher() : undefined
    this.crc = kinds.has('crc32c') ? 0 : undefined
  }

  private readonly wholeMd5: boolean

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.sha?.update(chunk)
    this.md5?.update(chunk)
    this.hdfs?.update(chunk)
    if (this.crc !== undefined) this.crc = crc32cCombine(this.crc, crc32cOf(chunk), chunk.length)
    if (this.partSize !== undefined) this.updateParts(chunk, this.partSize)
    this.count += chunk.length
    this.onBytes?.(chunk.length)
    cb(null, chunk)
  }

  private updateParts(chunk: Buffer, partSize: number): void {
    let at = 0
    while (at < chunk.length) {
      this.part ??= createHash('md5')
      const take = Math.min(partSize - this.partBytes, chunk.length - at)
      this.part.update(chunk.subarray(at, at + take))
      this.partBytes += take
      at += take
      if (this.partBytes === partSize) {
        this.partMd5s.push(this.part.digest())
        this.part = undefined
        this.partBytes = 0
      }
    }
  }

  digest(): StreamDigest {
    const d: StreamDigest = { bytes: this.count }
    if (this.sha) d.sha256 = this.sha.digest('hex')
    if (this.md5) d.md5 = this.md5.digest('hex')
    if (this.hdfs) d.hdfs = { blockSize: this.hdfs.blockSize, md5: this.hdfs.digest() }
    if (this.crc !== undefined) d.crc32c = crcHex(this.crc)
    if (this.partSize !== undefined) {
      const md5s = this.part ? [...this.partMd5s, this.part.digest()] : this.partMd5s
      if (md5s.length > 0) d.md5OfParts = md5OfParts(md5s)
      if (this.wholeMd5 && md5s.length <= 1) d.md5 = (md5s[0] ?? createHash('md5').digest()).toString('hex')
    }
    return d
  }
}

/** `<md5 of the parts' MD5s>-<n>`. */
export function md5OfParts(md5s: readonly Buffer[]): string {
  return `${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${md5s.length}`
}

// ---- chunked uploads: the whole object from its parts ----------------------------------------

/** Per-part checksums combined into what the store should state about the assembled object. */
export class PartDigests {
  private readonly md5s: Buffer[] = []
  private readonly crcs: { crc: number; length: number }[] = []
  private readonly hdfs: Buffer[][] = []

  add(index: number, sums: { md5?: Buffer; crc32c?: number; hdfsBlockMd5s?: Buffer[] }, length: number): void {
    if (sums.md5) this.md5s[index] = sums.md5
    if (sums.crc32c !== undefined) this.crcs[index] = { crc: sums.crc32c, length }
    if (sums.hdfsBlockMd5s) this.hdfs[index] = sums.hdfsBlockMd5s
  }

  /** The expected digest of the whole object (sha256 from the in-order pass, when there was one). */
  digest(parts: number, bytes: number, sha256: string | undefined, hdfsBlockSize: number | undefined): Omit<StreamDigest, 'sha256'> & { sha256?: string } {
    const d: Omit<StreamDigest, 'sha256'> & { sha256?: string } = { bytes }
    // (Part MD5s are absent for strategies that use none: partMd5 false.)
    if (this.md5s.length === parts && parts > 0) d.md5OfParts = md5OfParts(this.md5s.slice(0, parts))
    if (sha256 !== undefined) d.sha256 = sha256
    if (this.crcs.length === parts && parts > 0) {
      let crc = 0
      for (let i = 0; i < parts; i++) {
        const c = this.crcs[i] as { crc: number; length: number }
        crc = i === 0 ? c.crc : crc32cCombine(crc, c.crc, c.length)
      }
      d.crc32c = crcHex(crc)
    }
    if (this.hdfs.length === parts && parts > 0 && hdfsBlockSize !== undefined) {
      d.hdfs = { blockSize: hdfsBlockSize, md5: hdfsFileMd5(this.hdfs.slice(0, parts).flat()) }
    }
    return d
  }
}

// ---- comparing with the store ------------------------------------------------------------------

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

/** HDFS: GETFILECHECKSUM vs the expected checksum; 'not comparable' when of another kind or block size. */
async function compareHdfs(fs: FileSystem, path: string, blockSize: number | undefined, d: Partial<StreamDigest>): Promise<string | undefined | 'not comparable'> {
  if (!d.hdfs || blockSize !== d.hdfs.blockSize) return 'not comparable'
  const remote = parseHdfsChecksum(await fs.checksum(path, 'native'))
  if (!remote || remote.crc !== 'CRC32C' || remote.bytesPerCrc !== 512) return 'not comparable'
  return remote.md5 === d.hdfs.md5 ? undefined : `HDFS checksum ${remote.md5} on the target, ${d.hdfs.md5} computed from the source`
}

/**
 * Checks that `path` on `fs` holds exactly the bytes described by `d`, in this order of cost:
 * the MD5 (or MD5 of parts) in the store's answer to the write; the stat's size and its MD5 /
 * MD5 of parts / CRC32C (capability inStat); HDFS's file checksum; the MD5 the store keeps
 * (`checksum(p, 'native')`); else a sha256 of the target (computed by the server where it can,
 * SFTP, else read back). `d.sha256` may be absent only when a store-stated checksum decides.
 * Returns a description of the mismatch, or undefined when the bytes are the same.
 */
export async function compareWithStore(
  fs: FileSystem,
  path: string,
  d: Partial<StreamDigest> & { bytes: number },
  answered?: WrittenObject,
  /** The source's sha256 when `d` has none: asked for only if a read-back must decide. */
  sourceSha256?: () => Promise<string>,
): Promise<string | undefined> {
  const caps = capabilitiesOf(fs).nativeChecksum
  const kinds = new Set(caps.kinds)
  // The store confirmed the object is exactly the parts it checked against our checksums.
  if (answered?.partsVerified) return undefined
  if (answered?.md5 !== undefined && d.md5 !== undefined) {
    return answered.md5 === d.md5 ? undefined : `md5 ${answered.md5} in the store's answer, ${d.md5} computed from the source`
  }
  if (answered?.crc32c !== undefined && d.crc32c !== undefined) {
    return answered.crc32c === d.crc32c ? undefined : `crc32c ${answered.crc32c} in the store's answer, ${d.crc32c} computed from the source`
  }
  if (answered?.md5OfParts !== undefined && d.md5OfParts !== undefined && answered.md5OfParts.endsWith(`-${d.md5OfParts.split('-')[1]}`)) {
    return answered.md5OfParts === d.md5OfParts ? undefined : `md5 of parts ${answered.md5OfParts} in the store's answer, ${d.md5OfParts} computed from the source`
  }
  const info = await fs.stat(path)
  if (info.kind !== 'file') return `the target is a ${info.kind}`
  if (info.size !== d.bytes) return `size ${info.size} on the target, ${d.bytes} bytes from the source`
  if (info.md5 !== undefined && d.md5 !== undefined) return info.md5 === d.md5 ? undefined : `md5 ${info.md5} on the target, ${d.md5} computed from the source`
  if (info.md5OfParts !== undefined && d.md5OfParts !== undefined && info.md5OfParts.split('-')[1] === d.md5OfParts.split('-')[1]) {
    return info.md5OfParts === d.md5OfParts ? undefined : `md5 of parts ${info.md5OfParts} on the target, ${d.md5OfParts} computed from the source`
  }
  if (info.crc32c !== undefined && d.crc32c !== undefined) return info.crc32c === d.crc32c ? undefined : `crc32c ${info.crc32c} on the target, ${d.crc32c} computed from the source`
  if (kinds.has('hdfs')) {
    const r = await compareHdfs(fs, path, info.blockSize, d)
    if (r !== 'not comparable') return r
  }
  if (kinds.has('md5') && !caps.inStat && d.md5 !== undefined) {
    const md5 = md5Of(await fs.checksum(path, 'native'))
    if (md5 !== undefined) return md5 === d.md5 ? undefined : `md5 ${md5} on the target, ${d.md5} computed from the source`
  }
  const want = d.sha256 ?? (await sourceSha256?.())
  if (want === undefined) return 'the store states no checksum this copy can be compared with'
  // Local disk and memory hash here, SFTP on the server (sha256sum); elsewhere a read-back.
  const sha = await fs.checksum(path, 'sha256')
  return sha.value === want ? undefined : `sha256 ${sha.value} on the target, ${want} from the source`
}

/**
 * Checks a file some other writer (an external tool) put at `dstPath` against the source, by the
 * same rule: the source is read once, hashed for what the target states (e.g. HDFS's file
 * checksum, so an HDFS target is not read back), and compared with the store. Returns the sha256
 * of the source (= the target's) or throws ERR_VERIFY_FAILED.
 */
export async function verifyCopy(source: FileSystem, srcPath: string, target: FileSystem, dstPath: string): Promise<StreamDigest & { sha256: string }> {
  const h = new HashingStream(undefined, digestKindsFor(target), capabilitiesOf(target).nativeChecksum.streamPartSize)
  await pipeline(source.createReadStream(srcPath), h, new Writable({ write: (_c, _e, cb) => cb() }))
  const d = h.digest() as StreamDigest & { sha256: string }
  const mismatch = await compareWithStore(target, dstPath, d)
  if (mismatch !== undefined) throw verifyFailed(dstPath, mismatch)
  return d
}

/**
 * Native checksums of both sides when both come from server metadata (no read-back) with the same
 * algorithm; undefined when they are not comparable (then size + mtime decide).
 */
export async function comparableChecksums(a: FileSystem, aPath: string, b: FileSystem, bPath: string): Promise<{ equal: boolean } | undefined> {
  if (!metadataNative(a) || !metadataNative(b)) return undefined
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

/** The backend's 'native' checksum is metadata it keeps (not a hash of a read-back or a server-side pass). */
function metadataNative(fs: FileSystem): boolean {
  return capabilitiesOf(fs).nativeChecksum.kinds.some((k) => k !== 'sha256')
}
