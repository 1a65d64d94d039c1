/**
 * Local to local copies are one native call per file (LocalFileSystem.writeLocalFile: read,
 * hash and write the temp name on the libuv pool, then the caller's check and the rename), and
 * local checksums are hashed natively. Checked against node:crypto on real files.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { copyFile } from '../../ts/delivery/copy-file.js'
import { native } from '../../ts/native.js'
import { LocalFileSystem, StorageError } from '../../ts/storage/index.js'

const dir = (): string => mkdtempSync(join(tmpdir(), 'lf-native-copy-'))
const hex = (algo: string, b: Buffer): string => createHash(algo).update(b).digest('hex')

describe('native local copy and hashing', () => {
  it('copies 0 B, 1 B and 3 MiB + 17 B exactly; the reported sha256 and checksum() are those of the bytes', async () => {
    const src = new LocalFileSystem({ root: dir() })
    const dstRoot = dir()
    const dst = new LocalFileSystem({ root: dstRoot })
    for (const size of [0, 1, 3 * 2 ** 20 + 17]) {
      const data = randomBytes(size)
      await src.writeFile(`in/${size}.bin`, data)
      const r = await copyFile(src, `in/${size}.bin`, dst, `out/${size}.bin`)
      expect(r).toMatchObject({ method: 'stream', source: { bytes: size, sha256: hex('sha256', data) } })
      expect(readFileSync(join(dstRoot, 'out', `${size}.bin`)).equals(data)).toBe(true)
      expect((await dst.checksum(`out/${size}.bin`, 'sha256')).value).toBe(hex('sha256', data))
      expect((await dst.checksum(`out/${size}.bin`, 'md5')).value).toBe(hex('md5', data))
    }
    expect(readdirSync(join(dstRoot, 'out')).sort()).toEqual(['0.bin', '1.bin', '3145745.bin'])
  })

  it('hashBuffer gives md5 and crc32c of a part in one pass', async () => {
    const data = Buffer.from('123456789')
    const d = await native.hashBuffer(data, ['md5', 'crc32c', 'sha256'])
    // 0xe3069283 is CRC32C's check value of '123456789' (RFC 3720).
    expect(d).toMatchObject({ bytes: 9, md5: hex('md5', data), sha256: hex('sha256', data), crc32c: 'e3069283' })
    await expect(native.hashBuffer(data, ['sha1'])).rejects.toThrow(/unknown checksum 'sha1'/)
  })

  it('noClobber refuses an existing target (EEXIST, old bytes kept); a missing source is ENOENT and leaves no temp file', async () => {
    const src = new LocalFileSystem({ root: dir() })
    const dstRoot = dir()
    const dst = new LocalFileSystem({ root: dstRoot })
    await src.writeFile('a.log', 'new\n')
    writeFileSync(join(dstRoot, 'a.log'), 'old\n')
    await expect(copyFile(src, 'a.log', dst, 'a.log', { noClobber: true })).rejects.toMatchObject({ code: 'EEXIST' })
    expect(readFileSync(join(dstRoot, 'a.log'), 'utf8')).toBe('old\n')
    const missing = await copyFile(src, 'nope.log', dst, 'b.log').catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(StorageError)
    expect(missing).toMatchObject({ code: 'ENOENT' })
    expect(readdirSync(dstRoot)).toEqual(['a.log'])
  })
})
