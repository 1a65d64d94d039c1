/**
 * HDFS's default file checksum (MD5-of-MD5-of-CRC32C), computed locally from the content as it
 * streams by, so a copy to HDFS is verified against GETFILECHECKSUM without reading it back.
 *
 * How HDFS computes it: each block's replica stores one big-endian CRC32C per
 * `bytes-per-checksum` chunk (512 by default); a block's MD5 is the MD5 of those CRCs; the file's
 * MD5 is the MD5 of the block MD5s, taken over the client's whole DataOutputBuffer, i.e. the block
 * MD5s followed by zeros up to that buffer's capacity (32 bytes, doubled as needed). The last
 * quirk was found by comparing with a real MiniDFSCluster (files of 0 B to 3 blocks).
 */
import { createHash, type Hash } from 'node:crypto'
import { native } from '../native.js'
import type { Checksum } from './types.js'

export const HDFS_DEFAULT_BLOCK_SIZE = 128 << 20
export const HDFS_DEFAULT_BYTES_PER_CRC = 512

export class HdfsChecksumHasher {
  private carry: Buffer = Buffer.alloc(0)
  private blockMd5s: Buffer[] = []
  private block: Hash = createHash('md5')
  /** CRCs already added to the current block. */
  private crcsInBlock = 0
  private readonly crcsPerBlock: number

  constructor(
    readonly blockSize = HDFS_DEFAULT_BLOCK_SIZE,
    readonly bytesPerCrc = HDFS_DEFAULT_BYTES_PER_CRC,
  ) {
    if (blockSize % bytesPerCrc !== 0) throw new RangeError('blockSize must be a multiple of bytesPerCrc')
    this.crcsPerBlock = blockSize / bytesPerCrc
  }

  update(chunk: Buffer): void {
    let data = chunk
    if (this.carry.length > 0) {
      const need = this.bytesPerCrc - this.carry.length
      if (data.length < need) {
        this.carry = Buffer.concat([this.carry, data])
        return
      }
      this.addCrcs(native.crc32cChunks(Buffer.concat([this.carry, data.subarray(0, need)]), this.bytesPerCrc))
      data = data.subarray(need)
      this.carry = Buffer.alloc(0)
    }
    const whole = data.length - (data.length % this.bytesPerCrc)
    if (whole > 0) this.addCrcs(native.crc32cChunks(data.subarray(0, whole), this.bytesPerCrc))
    if (whole < data.length) this.carry = Buffer.from(data.subarray(whole))
  }

  /** The file checksum's MD5 as hex. */
  digest(): string {
    if (this.carry.length > 0) this.addCrcs(native.crc32cChunks(this.carry, this.bytesPerCrc))
    this.carry = Buffer.alloc(0)
    if (this.crcsInBlock > 0) this.endBlock()
    return hdfsFileMd5(this.blockMd5s)
  }

  /** Adds big-endian CRCs (4 bytes each) to the blocks they belong to. */
  private addCrcs(crcs: Buffer): void {
    let at = 0
    while (at < crcs.length) {
      const take = Math.min((this.crcsPerBlock - this.crcsInBlock) * 4, crcs.length - at)
      this.block.update(crcs.subarray(at, at + take))
      this.crcsInBlock += take / 4
      at += take
      if (this.crcsInBlock === this.crcsPerBlock) this.endBlock()
    }
  }

  private endBlock(): void {
    this.blockMd5s.push(this.block.digest())
    this.block = createHash('md5')
    this.crcsInBlock = 0
  }
}

/** The file checksum's MD5 (hex) from its blocks' MD5s, in order (see the header for the padding). */
export function hdfsFileMd5(blockMd5s: readonly Buffer[]): string {
  let capacity = 32
  while (capacity < blockMd5s.length * 16) capacity *= 2
  const buffer = Buffer.alloc(capacity)
  Buffer.concat(blockMd5s).copy(buffer)
  return createHash('md5').update(buffer).digest('hex')
}

/**
 * The MD5s of the HDFS blocks one file of `data` is stored as. A file CONCATenated from parts keeps
 * each part's blocks as they are (a CRC chunk never spans two parts), so its file checksum is
 * hdfsFileMd5 of every part's block MD5s in order: computable per part, in any order.
 */
export function hdfsBlockMd5s(data: Buffer, blockSize = HDFS_DEFAULT_BLOCK_SIZE, bytesPerCrc = HDFS_DEFAULT_BYTES_PER_CRC): Buffer[] {
  const out: Buffer[] = []
  for (let at = 0; at < data.length; at += blockSize) {
    const block = data.subarray(at, Math.min(at + blockSize, data.length))
    out.push(createHash('md5').update(native.crc32cChunks(block, bytesPerCrc)).digest())
  }
  return out
}

export interface HdfsFileChecksum {
  bytesPerCrc: number
  crc: 'CRC32C' | 'CRC32'
  /** The MD5 as hex. */
  md5: string
}

/**
 * Reads GETFILECHECKSUM's answer (`MD5-of-{n}MD5-of-{bytesPerCrc}CRC32C`, hex bytes: int
 * bytesPerCrc, long crcPerBlock, 16-byte MD5). Undefined for other algorithms (e.g. COMPOSITE-CRC).
 */
export function parseHdfsChecksum(c: Checksum): HdfsFileChecksum | undefined {
  const m = /^MD5-of-\d+MD5-of-(\d+)(CRC32C?)$/.exec(c.algorithm)
  if (!m || !/^[0-9a-f]{56}/i.test(c.value)) return undefined
  return { bytesPerCrc: Number(m[1]), crc: m[2] as 'CRC32C' | 'CRC32', md5: c.value.slice(24, 56).toLowerCase() }
}
