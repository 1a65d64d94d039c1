// WebHDFS filesystems that know their NameNode's RPC address write over RPC + data transfer
// (ts/storage/hdfs-rpc.ts), against a real MiniDFSCluster: the bytes read back over WebHDFS are
// the bytes written, HDFS's own file checksum matches the one computed locally (so every packet's
// CRCs were right), files span blocks, errors keep their codes, and a NameNode whose RPC port
// cannot be reached falls back to WebHDFS writes.
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { copyFile } from '../../ts/delivery/copy-file.js'
import { HdfsChecksumHasher, filesystem, parseHdfsChecksum, type FileSystem } from '../../ts/storage/index.js'
import type { WebHdfsFileSystem } from '../../ts/storage/webhdfs.js'
import { suiteServers } from '../servers/suite-servers.js'

const servers = await suiteServers(['hdfs'])
const port = new URL(servers.hdfs?.url ?? 'http://127.0.0.1:1').port
const rpcUrl = servers.hdfs?.rpcUrl ?? 'hdfs://127.0.0.1:1'
const base = `/logferry/hdfs-rpc-${Date.now().toString(36)}`
const open: FileSystem[] = []
const hdfs = (dir: string, namenode = rpcUrl): WebHdfsFileSystem => {
  const fs = filesystem(`webhdfs://root@127.0.0.1:${port}${base}/${dir}?namenode=${namenode}`) as WebHdfsFileSystem
  open.push(fs)
  return fs
}
afterAll(async () => {
  for (const fs of open) await fs.close()
})

const hdfsMd5 = (data: Buffer, blockSize: number): string => {
  const h = new HdfsChecksumHasher(blockSize)
  h.update(data)
  return h.digest()
}

describe('native HDFS writes (NameNode RPC)', () => {
  it.each([0, 1, 511, 100_000, 3 * 1024 * 1024 + 7])('writes %i bytes that read back the same, with the HDFS checksum computed locally', async (size) => {
    const fs = hdfs('sizes')
    expect(await fs.openNativeWrite(`probe-${size}`, false).then((w) => (w?.abort(), w !== undefined))).toBe(true)
    const data = randomBytes(size)
    await fs.writeFile(`f${size}`, data)
    expect(Buffer.compare(await fs.readFile(`f${size}`), data)).toBe(0)
    const info = await fs.stat(`f${size}`)
    expect(info.size).toBe(size)
    const remote = parseHdfsChecksum(await fs.checksum(`f${size}`, 'native'))
    expect(remote?.md5).toBe(hdfsMd5(data, info.blockSize as number))
  })

  it.each([0, 1, 512, 100_000])('states the file checksum of %i bytes over RPC exactly as WebHDFS GETFILECHECKSUM does', async (size) => {
    const fs = hdfs('checksums')
    const web = filesystem(`webhdfs://root@127.0.0.1:${port}${base}/checksums`)
    open.push(web)
    await fs.writeFile(`c${size}`, randomBytes(size))
    expect(fs.usesRpc).toBe(true)
    const overRpc = await fs.checksum(`c${size}`, 'native')
    expect(overRpc).toEqual(await web.checksum(`c${size}`, 'native'))
    expect(overRpc.algorithm).toBe(size === 0 ? 'MD5-of-0MD5-of-0CRC32' : 'MD5-of-0MD5-of-512CRC32C')
  })

  it('states the checksum of a file of several blocks as WebHDFS does, and maps a missing file and a directory', async () => {
    const fs = hdfs('checksums-blocks')
    const web = filesystem(`webhdfs://root@127.0.0.1:${port}${base}/checksums-blocks`)
    open.push(web)
    const data = randomBytes(2.5 * (1 << 20) + 3)
    const w = await fs.openNativeWrite('multi.bin', false, 1 << 20)
    await w?.write(data)
    await w?.close()
    const overRpc = await fs.checksum('multi.bin', 'native')
    expect(overRpc).toEqual(await web.checksum('multi.bin', 'native'))
    expect(overRpc.algorithm).toBe('MD5-of-2048MD5-of-512CRC32C')
    expect(parseHdfsChecksum(overRpc)?.md5).toBe(hdfsMd5(data, 1 << 20))
    await expect(fs.checksum('missing.bin', 'native')).rejects.toMatchObject({ code: 'ENOENT' })
    await fs.mkdir('dir', { parents: true })
    await expect(fs.checksum('dir', 'native')).rejects.toMatchObject({ code: 'EISDIR' })
  })

  it('stats, renames, replaces and deletes over RPC with the codes WebHDFS gives', async () => {
    const fs = hdfs('ops')
    const web = filesystem(`webhdfs://root@127.0.0.1:${port}${base}/ops`)
    open.push(web)
    await fs.mkdir('d/e', { parents: true })
    await fs.writeFile('d/e/a.txt', 'one')
    expect(await fs.stat('d/e/a.txt')).toEqual(await web.stat('d/e/a.txt'))
    expect((await fs.stat('d')).kind).toBe('directory')
    await expect(fs.stat('nope')).rejects.toMatchObject({ code: 'ENOENT' })
    await fs.writeFile('d/e/a.txt', 'two')
    expect((await web.readFile('d/e/a.txt')).toString()).toBe('two')
    await expect(fs.writeFile('d/e/a.txt', 'three', { overwrite: false })).rejects.toMatchObject({ code: 'EEXIST' })
    await expect(fs.writeFile('d', 'over a directory', { knownAbsent: true })).rejects.toMatchObject({ code: 'EISDIR' })
    await fs.mv('d/e/a.txt', 'b/moved.txt')
    expect((await web.readFile('b/moved.txt')).toString()).toBe('two')
    await fs.rm('b/moved.txt')
    expect(await web.exists('b/moved.txt')).toBe(false)
    await expect(fs.rm('b/moved.txt')).rejects.toMatchObject({ code: 'ENOENT' })
    expect((await web.ls('d/e')).map((e) => e.name)).toEqual([])
  })

  it('writes a file of several blocks, fed in uneven chunks', async () => {
    const fs = hdfs('blocks')
    const blockSize = 1 << 20
    const data = randomBytes(2.5 * blockSize + 3)
    const w = await fs.openNativeWrite('three-blocks.bin', false, blockSize)
    expect(w).toBeDefined()
    for (let at = 0; at < data.length; at += 77_777) await w?.write(data.subarray(at, at + 77_777))
    await w?.close()
    const info = await fs.stat('three-blocks.bin')
    expect(info.blockSize).toBe(blockSize)
    expect(Buffer.compare(await fs.readFile('three-blocks.bin'), data)).toBe(0)
    expect(parseHdfsChecksum(await fs.checksum('three-blocks.bin', 'native'))?.md5).toBe(hdfsMd5(data, blockSize))
  })

  it('keeps the error codes: an existing file is EEXIST without overwrite, replaced with it', async () => {
    const fs = hdfs('errors')
    await fs.writeFile('a.txt', 'first')
    await expect(fs.openNativeWrite('a.txt', false)).rejects.toMatchObject({ code: 'EEXIST' })
    await expect(fs.writeFile('a.txt', 'again', { overwrite: false })).rejects.toMatchObject({ code: 'EEXIST' })
    await fs.writeFile('a.txt', 'second')
    expect((await fs.readFile('a.txt')).toString()).toBe('second')
  })

  it('copies many small files and a chunked large one verified by the store (copyFile)', async () => {
    const src = filesystem({ protocol: 'memory' })
    const fs = hdfs('copies')
    const small = Array.from({ length: 24 }, () => randomBytes(100 << 10))
    await Promise.all(small.map((d, i) => src.writeFile(`s${i}.bin`, d)))
    const big = randomBytes(9 << 20)
    await src.writeFile('big.bin', big)
    await Promise.all(small.map((_, i) => copyFile(src, `s${i}.bin`, fs, `s${i}.bin`, { sha256: true })))
    const r = await copyFile(src, 'big.bin', fs, 'big.bin', { chunkSize: 4 << 20, concurrency: 3, sha256: true })
    expect(r.method).toBe('webhdfs-concat')
    expect(r.parts).toBe(3)
    for (const [i, d] of small.entries()) expect(Buffer.compare(await fs.readFile(`s${i}.bin`), d)).toBe(0)
    expect(Buffer.compare(await fs.readFile('big.bin'), big)).toBe(0)
    expect((await fs.ls('')).map((e) => e.name).sort()).toEqual([...small.map((_, i) => `s${i}.bin`), 'big.bin'].sort())
  })

  it('writes over WebHDFS when the RPC port takes no connection', async () => {
    const closed = await new Promise<number>((resolve) => {
      const srv = createServer()
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port
        srv.close(() => resolve(p))
      })
    })
    const fs = hdfs('fallback', `hdfs://127.0.0.1:${closed}`)
    await fs.writeFile('x.txt', 'over webhdfs')
    expect((await fs.readFile('x.txt')).toString()).toBe('over webhdfs')
    expect(await fs.openNativeWrite('y.txt', false)).toBeUndefined()
  })
})
