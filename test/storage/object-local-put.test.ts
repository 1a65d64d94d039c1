/**
 * Local files to GCS (fake-gcs-server) and Azure (Azurite) with one read of the source and one
 * request per small file: writeLocalFile reads the file into memory, hashes it on the libuv pool
 * (MD5, sha256 for the `logferry-sha256` stamp) and uploads it in one request, whose answer states
 * the MD5 the store computed, so no stat or read-back follows. A file larger than one request is
 * hashed first and streamed, and still verified. The requests are seen by a recording HTTP proxy
 * between the client and the real server.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest, createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { copyFile } from '../../ts/delivery/copy-file.js'
import { AzureBlobFileSystem, GcsFileSystem, LocalFileSystem, type FileSystem } from '../../ts/storage/index.js'
import { transferFiles } from '../../ts/transfer/index.js'
import { azureOptions, gcsOptions } from '../servers/filesystems.js'
import { suiteServers } from '../servers/suite-servers.js'
import { inCI } from '../servers/ci.js'
import { closedAfterAll } from '../closed-after-all.js'
import { countingSource, smallFiles } from './local-put-fixtures.js'

const servers = await suiteServers(['gcs', 'azure'])
const MiB = 1 << 20
const tmp = mkdtempSync(join(tmpdir(), 'logferry-objput-'))
const hash = (algo: string, b: Uint8Array): string => createHash(algo).update(b).digest('hex')
const run = `objput-${Date.now().toString(36)}`
let n = 0

const keep = closedAfterAll()
const proxies: Server[] = []
afterAll(async () => {
  await Promise.all(proxies.map((p) => new Promise((r) => p.close(r))))
  rmSync(tmp, { recursive: true, force: true })
})

interface Seen {
  method: string
  path: string
}

/** An HTTP proxy to `endpoint` (same path prefix) that records each request; resolves with its URL. */
async function recordingProxy(endpoint: string): Promise<{ url: string; seen: Seen[] }> {
  const upstream = new URL(endpoint)
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', path: req.url ?? '' })
    const out = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers)
      up.pipe(res)
    })
    out.on('error', (err) => res.destroy(err))
    req.pipe(out)
  })
  proxies.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return { url: `http://127.0.0.1:${port}${upstream.pathname.replace(/\/$/, '')}`, seen }
}

interface Backend {
  name: 'gcs' | 'azure'
  missing: boolean
  /** A fresh filesystem whose requests go through a recording proxy. */
  make: (blockSize?: number) => Promise<{ fs: FileSystem; seen: Seen[] }>
  /** Whether a recorded request is an object upload. */
  isUpload: (q: Seen) => boolean
}

const backends: Backend[] = [
  {
    name: 'gcs',
    missing: servers.gcs === undefined,
    make: async () => {
      const p = await recordingProxy(servers.gcs?.endpoint ?? 'http://127.0.0.1:1')
      const fs = keep(new GcsFileSystem({ ...gcsOptions(servers, `${run}/${++n}`), apiEndpoint: p.url }))
      return { fs, seen: p.seen }
    },
    isUpload: (q) => q.method === 'POST' && q.path.includes('/upload/'),
  },
  {
    name: 'azure',
    missing: servers.azure === undefined,
    make: async (blockSize) => {
      const p = await recordingProxy(servers.azure?.endpoint ?? 'http://127.0.0.1:1')
      const fs = keep(new AzureBlobFileSystem({ ...azureOptions(servers, `${run}/${++n}`), endpoint: p.url, ...(blockSize ? { blockSize } : {}) }))
      return { fs, seen: p.seen }
    },
    // Put Blob, or a block list's commit (not its staged blocks).
    isUpload: (q) => q.method === 'PUT' && !/[?&]comp=block(&|$)/.test(q.path),
  },
]

for (const b of backends) {
  describe.skipIf(!inCI && b.missing)(`${b.name} writeLocalFile`, () => {
    it('small files: one upload request each, the source read once, verified by the answer, stamped with the sha256', async () => {
      const { src, files } = smallFiles(tmp)
      const { fs: target, seen } = await b.make()
      const source = countingSource(src)
      const r = await transferFiles({ source: source.fs, files: '*', target, method: 'storage' })
      expect(r.totals).toMatchObject({ copied: 20, failed: 0 })
      const during = [...seen]
      expect(source.streams() + source.checksums() + source.positioned()).toBe(0)
      expect(during.filter(b.isUpload)).toHaveLength(20)
      // Besides the uploads, only the planning's listing of the target: no stat, no read-back.
      expect(during.filter((q) => !b.isUpload(q)).map((q) => q.method)).toEqual(['GET'])
      for (const [p, d] of files) {
        expect(r.files.find((f) => f.target === p)?.checksum).toBe(hash('sha256', d))
        const info = await target.stat(p)
        expect(info).toMatchObject({ size: d.length, md5: hash('md5', d) })
        expect(info.metadata?.['logferry-sha256']).toBe(hash('sha256', d))
        expect(hash('sha256', await target.readFile(p))).toBe(hash('sha256', d))
      }
    })

    it('a file larger than one request is hashed, then streamed, and verified', async () => {
      const src = mkdtempSync(join(tmp, 'mid-'))
      // Azure: 1 MiB blocks, so 1.5 MiB is a block list; GCS: more than its 8 MiB single request.
      const size = b.name === 'azure' ? 1.5 * MiB : 9 * MiB + 5
      const data = randomBytes(size)
      writeFileSync(join(src, 'mid.bin'), data)
      const { fs: target, seen } = await b.make(1 * MiB)
      const r = await copyFile(new LocalFileSystem({ root: src }), 'mid.bin', target, 'mid.bin', { sha256: true })
      expect(r).toMatchObject({ method: 'stream', source: { bytes: size, sha256: hash('sha256', data) } })
      expect(seen.filter(b.isUpload).length).toBeGreaterThanOrEqual(1)
      expect((await target.stat('mid.bin')).size).toBe(size)
      expect(hash('sha256', await target.readFile('mid.bin'))).toBe(hash('sha256', data))
    })

    it('a missing source file is the local ENOENT, and nothing is written', async () => {
      const { fs: target } = await b.make()
      const err = await target.writeLocalFile?.(join(tmp, 'no-such-file'), 'x.log', { checksums: ['sha256'] }).catch((e: unknown) => e)
      expect(err).toMatchObject({ name: 'StorageError', code: 'ENOENT', backend: 'file' })
      expect(await target.exists('x.log')).toBe(false)
    })
  })
}
