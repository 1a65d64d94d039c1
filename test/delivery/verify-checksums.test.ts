/**
 * The checksum arithmetic the whole-object checks rely on: CRC32C of parts combined into the
 * CRC32C of the whole (GCS composite objects), the MD5 of part MD5s (S3 multipart ETags) and the
 * streamed digests, each against a direct computation over the whole content.
 */
import { createHash, randomBytes } from 'node:crypto'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { describe, expect, it } from 'vitest'
import { HashingStream, PartDigests, crc32cCombine, crc32cOf, md5OfParts } from '../../ts/delivery/verify.js'
import { HdfsChecksumHasher, hdfsBlockMd5s, hdfsFileMd5 } from '../../ts/storage/index.js'

const md5 = (b: Buffer): Buffer => createHash('md5').update(b).digest()

describe('crc32c', () => {
  it('is the standard CRC32C (check value of "123456789")', () => {
    expect(crc32cOf(Buffer.from('123456789')).toString(16)).toBe('e3069283')
    expect(crc32cOf(Buffer.alloc(0))).toBe(0)
  })

  it('combines the CRCs of parts of any sizes into the CRC of the whole', () => {
    const data = randomBytes(3 * 1_000_003 + 17)
    for (const cuts of [[0, 1, data.length], [0, 1_000_003, 2_000_006, 3_000_009, data.length], [0, 511, 512, 70_000, data.length]]) {
      let crc = 0
      for (let i = 0; i + 1 < cuts.length; i++) {
        const part = data.subarray(cuts[i], cuts[i + 1])
        crc = i === 0 ? crc32cOf(part) : crc32cCombine(crc, crc32cOf(part), part.length)
      }
      expect(crc).toBe(crc32cOf(data))
    }
  })
})

describe('digests of parts and streams', () => {
  it('PartDigests gives the MD5 of part MD5s, the combined CRC32C and the HDFS checksum of a concatenation', () => {
    const parts = [randomBytes(700_001), randomBytes(700_001), randomBytes(12_345)]
    const d = new PartDigests()
    parts.forEach((p, i) => d.add(i, { md5: md5(p), crc32c: crc32cOf(p), hdfsBlockMd5s: hdfsBlockMd5s(p, 1 << 20) }, p.length))
    const whole = Buffer.concat(parts)
    const got = d.digest(3, whole.length, undefined, 1 << 20)
    expect(got.md5OfParts).toBe(`${createHash('md5').update(Buffer.concat(parts.map(md5))).digest('hex')}-3`)
    expect(got.crc32c).toBe(crc32cOf(whole).toString(16).padStart(8, '0'))
    // Each part is its own (partial) HDFS block after CONCAT: the file MD5 is over those blocks.
    expect(got.hdfs).toEqual({ blockSize: 1 << 20, md5: hdfsFileMd5(parts.flatMap((p) => hdfsBlockMd5s(p, 1 << 20))) })
  })

  it('hdfsBlockMd5s of a single file gives the same file checksum as the streaming hasher', () => {
    const data = randomBytes(2 * 65_536 + 999)
    const h = new HdfsChecksumHasher(65_536)
    for (let i = 0; i < data.length; i += 10_007) h.update(data.subarray(i, i + 10_007))
    expect(hdfsFileMd5(hdfsBlockMd5s(data, 65_536))).toBe(h.digest())
  })

  it('HashingStream computes what the target states (md5, md5 of parts, crc32c) and the sha256, in any chunking', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 3)
    const h = new HashingStream(undefined, new Set(['md5', 'md5-of-parts', 'crc32c']), 2 * 1024 * 1024)
    const chunks = Array.from({ length: Math.ceil(data.length / 77_777) }, (_, i) => data.subarray(i * 77_777, (i + 1) * 77_777))
    await pipeline(Readable.from(chunks), h, new Writable({ write: (_c, _e, cb) => cb() }))
    const d = h.digest()
    expect(d.sha256).toBe(createHash('sha256').update(data).digest('hex'))
    // The MD5s are taken per part: a several-part content has no whole MD5 (its store states none).
    expect(d.md5).toBeUndefined()
    expect(d.bytes).toBe(data.length)
    expect(d.crc32c).toBe(crc32cOf(data).toString(16).padStart(8, '0'))
    const parts = [data.subarray(0, 2 << 20), data.subarray(2 << 20, 4 << 20), data.subarray(4 << 20)]
    expect(d.md5OfParts).toBe(md5OfParts(parts.map(md5)))
  })

  it('HashingStream: a content of one part has its MD5; without md5-of-parts the whole MD5 is taken', async () => {
    const data = randomBytes(300_001)
    const run = async (h: HashingStream): Promise<ReturnType<HashingStream['digest']>> => {
      await pipeline(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), h, new Writable({ write: (_c, _e, cb) => cb() }))
      return h.digest()
    }
    expect((await run(new HashingStream(undefined, new Set(['md5', 'md5-of-parts']), 1 << 20))).md5).toBe(md5(data).toString('hex'))
    const plain = await run(new HashingStream(undefined, new Set(['md5']), undefined, false))
    expect(plain.md5).toBe(md5(data).toString('hex'))
    expect(plain.sha256).toBeUndefined()
  })
})
