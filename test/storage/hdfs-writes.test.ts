// What a verified write to HDFS over RPC costs and states, against a real MiniDFSCluster: the
// checksum a write's acknowledgements state is the one the DataNodes give for the stored file
// (GETFILECHECKSUM's, byte for byte), a local file is written with no stream per file
// (writeLocalFile) and hashed as read, and a verified copy of a small file to a place a listing
// showed empty asks the NameNode create, addBlock, complete and rename2 only, counted by a proxy
// in front of its RPC port.
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { createServer, connect, type Server } from 'node:net'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { copyFile } from '../../ts/delivery/copy-file.js'
import { HdfsChecksumHasher, filesystem, type FileSystem, type StagedWrite } from '../../ts/storage/index.js'
import type { WebHdfsFileSystem } from '../../ts/storage/webhdfs.js'
import { suiteServers } from '../servers/suite-servers.js'
import { tempDirs } from '../temp-dirs.js'

const servers = await suiteServers(['hdfs'])
const port = new URL(servers.hdfs?.url ?? 'http://127.0.0.1:1').port
const rpc = new URL((servers.hdfs?.rpcUrl ?? 'hdfs://127.0.0.1:1').replace(/^hdfs:/, 'http:'))
const base = `/logferry/hdfs-writes-${Date.now().toString(36)}`
const dirs = tempDirs('logferry-hdfs-writes-')
const open: FileSystem[] = []
const hdfs = (dir: string, namenode = `hdfs://${rpc.host}`): WebHdfsFileSystem => {
  const fs = filesystem(`webhdfs://root@127.0.0.1:${port}${base}/${dir}?namenode=${namenode}`) as WebHdfsFileSystem
  open.push(fs)
  return fs
}
const web = (dir: string): FileSystem => {
  const fs = filesystem(`webhdfs://root@127.0.0.1:${port}${base}/${dir}`)
  open.push(fs)
  return fs
}
afterAll(async () => {
  for (const fs of open) await fs.close()
})

const hdfsMd5 = (data: Buffer): string => {
  const h = new HdfsChecksumHasher()
  h.update(data)
  return h.digest()
}

/** A varint at `i` of `b`: its value and the index after it. */
function varint(b: Buffer, i: number): [number, number] {
  let x = 0
  for (let shift = 0; ; shift += 7) {
    const c = b[i++] as number
    x += (c & 0x7f) * 2 ** shift
    if (!(c & 0x80)) return [x, i]
  }
}

/**
 * A TCP proxy in front of the NameNode's RPC port that counts the methods of the calls going
 * through it (Hadoop IPC: a 7-byte preamble, then length-prefixed frames of a delimited RPC
 * header and a delimited request header whose field 1 is the method name).
 */
async function countingProxy(): Promise<{ url: string; calls: Map<string, number>; server: Server }> {
  const calls = new Map<string, number>()
  const server = createServer((client) => {
    const upstream = connect(Number(rpc.port), rpc.hostname)
    client.pipe(upstream).pipe(client)
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
    let input = Buffer.alloc(0)
    let preamble = false
    client.on('data', (d: Buffer) => {
      input = Buffer.concat([input, d])
      if (!preamble) {
        if (input.length < 7) return
        input = input.subarray(7)
        preamble = true
      }
      while (input.length >= 4 && input.length >= 4 + input.readUInt32BE(0)) {
        const frame = input.subarray(4, 4 + input.readUInt32BE(0))
        input = input.subarray(4 + frame.length)
        let [len, i] = varint(frame, 0)
        i += len
        if (i >= frame.length) continue // the connection context
        ;[len, i] = varint(frame, i)
        const head = frame.subarray(i, i + len)
        // RequestHeaderProto field 1 (methodName): tag 0x0a, length, bytes.
        if (head[0] !== 0x0a) continue
        const [n, at] = varint(head, 1)
        const method = head.subarray(at, at + n).toString()
        calls.set(method, (calls.get(method) ?? 0) + 1)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { url: `hdfs://127.0.0.1:${(server.address() as { port: number }).port}`, calls, server }
}

describe('HDFS writes over RPC', () => {
  it.each([
    ['1 byte', 1, undefined],
    ['512 bytes', 512, undefined],
    ['100,000 bytes', 100_000, undefined],
    ['3 blocks', 2.5 * (1 << 20) + 3, 1 << 20],
  ] as const)('states the checksum of %s from its acknowledgements exactly as the DataNodes give it for the stored file', async (_name, size, blockSize) => {
    const fs = hdfs('acked')
    const w = await fs.openNativeWrite(`f${size}`, false, blockSize)
    const data = randomBytes(size)
    for (let at = 0; at < data.length; at += 300_000) await w?.write(data.subarray(at, at + 300_000))
    await w?.close()
    const acked = await w?.storedChecksum?.()
    const stored = await web('acked').checksum(`f${size}`, 'native')
    expect({ algorithm: acked?.algorithm, value: acked?.bytes }).toEqual(stored)
    expect(w?.storedLength?.()).toBe(size)
  })

  it('writes a local file with no stream per file: the digest of the bytes read (HDFS checksum included) goes to the hook before the rename', async () => {
    const fs = hdfs('local')
    const dir = dirs.dir()
    for (const size of [0, 4096, 3 * (1 << 20) + 5]) {
      const data = randomBytes(size)
      const local = join(dir, `l${size}`)
      writeFileSync(local, data)
      let staged: StagedWrite | undefined
      const sha256 = (await filesystem({ protocol: 'file', root: dir }).checksum(`l${size}`, 'sha256')).value
      const read = await fs.writeLocalFile(local, `l${size}.bin`, {
        checksums: ['sha256', 'hdfs'],
        beforePublish: async (s) => {
          staged = s
          expect(await fs.exists(`l${size}.bin`)).toBe(false)
        },
      })
      expect(read).toEqual({ bytes: size, sha256, hdfs: { blockSize: 128 << 20, md5: hdfsMd5(data) } })
      expect(staged?.read).toEqual(read)
      expect(staged?.path).not.toBe(`l${size}.bin`)
      expect(Buffer.compare(await fs.readFile(`l${size}.bin`), data)).toBe(0)
    }
    // A refusal of the hook is what the write fails with, and nothing is published.
    const refusal = Object.assign(new Error('refused'), { code: 'ERR_VERIFY_FAILED' })
    await expect(fs.writeLocalFile(join(dir, 'l4096'), 'refused.bin', { checksums: ['sha256'], beforePublish: async () => Promise.reject(refusal) })).rejects.toBe(refusal)
    await expect(fs.writeLocalFile(join(dir, 'missing'), 'missing.bin', { checksums: ['sha256'] })).rejects.toMatchObject({ code: 'ENOENT', backend: 'file' })
    expect((await web('local').ls('', { recursive: true })).map((e) => e.name).sort()).toEqual(['l0.bin', 'l3145733.bin', 'l4096.bin'])
  })

  it('copies a small local file, verified, to a place a listing showed empty with create, addBlock, complete and rename2 only', async () => {
    const proxy = await countingProxy()
    const fs = hdfs('calls', proxy.url)
    const dir = dirs.dir()
    const local = filesystem({ protocol: 'file', root: dir })
    const files = Array.from({ length: 8 }, (_, i) => `c${i}.log`)
    for (const f of files) writeFileSync(join(dir, f), randomBytes(4096))
    // The first write also asks the cluster's defaults (once per filesystem).
    await fs.writeFile('first', 'x')
    proxy.calls.clear()
    await Promise.all(files.map((f) => copyFile(local, f, fs, f, { targetAbsent: true, sha256: true })))
    const calls = Object.fromEntries(proxy.calls)
    // complete may be asked again while the DataNode's block report is on its way (one DataNode here).
    expect(calls.complete).toBeGreaterThanOrEqual(8)
    expect({ ...calls, complete: 8 }).toEqual({ create: 8, addBlock: 8, complete: 8, rename2: 8 })
    for (const f of files) expect((await web('calls').stat(f)).size).toBe(4096)
  })
})
