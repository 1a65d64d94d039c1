// HDFS's MD5-of-MD5-of-CRC32C file checksum computed locally must equal what a real
// MiniDFSCluster answers to GETFILECHECKSUM, for empty, sub-chunk, multi-chunk and multi-block
// files, fed in awkward chunk sizes.
import { randomBytes } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { HdfsChecksumHasher, filesystem, parseHdfsChecksum, type FileSystem } from '../../ts/storage/index.js'
import { suiteServers } from '../servers/suite-servers.js'

const servers = await suiteServers(['hdfs'])
const port = new URL(servers.hdfs?.url ?? 'http://127.0.0.1:1').port
const fs: FileSystem = filesystem(`webhdfs://root@127.0.0.1:${port}/logferry/hdfs-checksum-${Date.now().toString(36)}`)
afterAll(() => fs.close())

function local(data: Buffer, blockSize: number, feed: number): string {
  const h = new HdfsChecksumHasher(blockSize)
  for (let at = 0; at < data.length; at += feed) h.update(data.subarray(at, at + feed))
  return h.digest()
}

describe('HdfsChecksumHasher against a MiniDFSCluster', () => {
  it.each([0, 1, 511, 512, 513, 100_000, 3 * 1024 * 1024 + 7])('matches GETFILECHECKSUM for %i bytes', async (size) => {
    const data = randomBytes(size)
    await fs.writeFile(`f${size}`, data)
    const info = await fs.stat(`f${size}`)
    expect(info.blockSize).toBeGreaterThan(0)
    const remote = parseHdfsChecksum(await fs.checksum(`f${size}`, 'native'))
    expect(remote).toBeDefined()
    for (const feed of [1 << 16, 777, 512]) {
      if (feed < 4096 && size > 200_000) continue
      expect(local(data, info.blockSize as number, feed), `feed ${feed}`).toBe(remote?.md5)
    }
    // A changed byte changes the checksum.
    if (size > 0) {
      const other = Buffer.from(data)
      other[size >> 1] = (other[size >> 1] as number) ^ 1
      expect(local(other, info.blockSize as number, 1 << 16)).not.toBe(remote?.md5)
    }
  })

  it('matches for a file of three blocks (260 MiB + 5 B)', async () => {
    const size = 260 * 1024 * 1024 + 5
    const data = randomBytes(size)
    await fs.writeFile('three-blocks', data)
    const info = await fs.stat('three-blocks')
    const remote = parseHdfsChecksum(await fs.checksum('three-blocks', 'native'))
    expect(info.blockSize).toBe(128 << 20)
    expect(remote?.bytesPerCrc).toBe(512)
    expect(local(data, info.blockSize as number, 1 << 20)).toBe(remote?.md5)
    await fs.rm('three-blocks')
  }, 300_000)
})
