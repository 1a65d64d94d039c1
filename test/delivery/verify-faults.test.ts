/**
 * The one verification rule, tested the hard way: a store that flips one byte of what it
 * publishes (flip-faults.ts, over the real servers) is caught on every path that publishes bytes
 * (transferFiles' storage method streamed and in parallel parts, uploadFile's single write and
 * its chunked uploads to S3, GCS, Azure and WebHDFS, a copy job), the failure is
 * ERR_VERIFY_FAILED, and nothing is left under the final name (nor a temporary part or file).
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CopyJobRunner } from '../../ts/copy/index.js'
import { DEFAULT_CHUNK_SIZE, chunkSizeFor } from '../../ts/delivery/copy-file.js'
import { LocalFileSystem, MemoryFileSystem, SftpFileSystem, chunkedStrategyFor, uploadFile, type ChunkedUploadStrategy, type FileSystem } from '../../ts/storage/index.js'
import { transferFiles, type FileReport, type TransferReport } from '../../ts/transfer/index.js'
import { sftpOptions, sftpRoot } from '../servers/filesystems.js'
import { suiteServers } from '../servers/suite-servers.js'
import { MiB, randomFile } from '../uploader/helpers.js'
import { targets, uniquePrefix, type Target } from '../uploader/targets.js'
import { flipping, flippingStrategy, type FlipLog } from './flip-faults.js'
import { inCI } from '../servers/ci.js'

const info = await suiteServers(['s3', 'gcs', 'azure', 'hdfs', 'sftp'])
const all = targets(info)
const target = (name: Target['name']): Target => all.find((t) => t.name === name) as Target
const skip = (t: Target): boolean => t.missing !== undefined && !inCI

const base = mkdtempSync(join(tmpdir(), 'logferry-verify-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))
let dirs = 0
const tempDir = (): string => mkdtempSync(join(base, `d${++dirs}-`))

const opened: FileSystem[] = []
afterAll(async () => {
  await Promise.all(opened.map((fs) => fs.close().catch(() => undefined)))
})
const open = <T extends FileSystem>(fs: T): T => {
  opened.push(fs)
  return fs
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** A local directory with the given files (random content of the given sizes). */
function sourceTree(sizes: Record<string, number>): { root: string; content: Map<string, Buffer> } {
  const root = tempDir()
  const content = new Map<string, Buffer>()
  for (const [name, size] of Object.entries(sizes)) {
    const data = randomBytes(size)
    writeFileSync(join(root, name), data)
    content.set(name, data)
  }
  return { root, content }
}

const byTarget = (r: TransferReport): Map<string, FileReport> => new Map(r.files.map((f) => [f.target, f]))

/** What `ls` shows plus, for the four chunked targets, the raw listing (hidden temporaries too). */
async function everything(fs: FileSystem, t?: Target): Promise<string[]> {
  if (t) return t.rawList(fs)
  return (await fs.ls('', { recursive: true })).filter((e) => e.kind === 'file').map((e) => e.path).sort()
}

const sftpFs = (): FileSystem => open(new SftpFileSystem(sftpOptions(info.sftp, sftpRoot(info.sftp, uniquePrefix()))))

interface StreamTarget {
  name: string
  skip: boolean
  make: () => FileSystem
  raw?: Target
}

const streamTargets: StreamTarget[] = [
  { name: 's3', skip: skip(target('s3')), make: () => open(target('s3').make()), raw: target('s3') },
  { name: 'hdfs', skip: skip(target('hdfs')), make: () => open(target('hdfs').make()), raw: target('hdfs') },
  { name: 'gcs', skip: skip(target('gcs')), make: () => open(target('gcs').make()), raw: target('gcs') },
  { name: 'azure', skip: skip(target('azure')), make: () => open(target('azure').make()), raw: target('azure') },
  { name: 'sftp', skip: info.sftp === undefined && !inCI, make: sftpFs },
  { name: 'local', skip: false, make: () => open(new LocalFileSystem({ root: tempDir() })) },
]

describe('transferFiles (storage method, streamed) with a store that flips one byte', () => {
  for (const t of streamTargets) {
    // 9 MiB is more than one part of the S3 and Azure stream writers (8 MiB): a multipart object.
    it.skipIf(t.skip)(`local -> ${t.name}: single and multipart writes fail ERR_VERIFY_FAILED and leave nothing under the final name`, async () => {
      const { root, content } = sourceTree({ 'good.log': 200_000, 'bad.log': 200_000, 'bad-big.bin': 9 * MiB + 3 })
      const real = t.make()
      const log: FlipLog = []
      const fs = flipping(real, log, { match: (p) => p.includes('bad') })
      const r = await transferFiles({ source: `file://${root}`, files: '*', target: fs, retries: 2, retryDelay: 50 })
      const files = byTarget(r)
      expect(files.get('good.log')).toMatchObject({ outcome: 'copied', checksum: sha256(content.get('good.log') as Buffer) })
      for (const bad of ['bad.log', 'bad-big.bin']) {
        // A verification failure is permanent: the file is not copied again.
        expect(files.get(bad)).toMatchObject({ outcome: 'failed', attempts: 1, error: { code: 'ERR_VERIFY_FAILED' } })
        expect(await real.exists(bad)).toBe(false)
      }
      // (Azure copies the 9 MiB file in parts: a stream write that large states no checksum.)
      expect(log.map((l) => l.replace(/^part \d+ of /, '')).sort()).toEqual(['bad-big.bin', 'bad.log'])
      expect(await everything(real, t.raw)).toEqual(['good.log'])
      expect(sha256(await real.readFile('good.log'))).toBe(sha256(content.get('good.log') as Buffer))
    })
  }
})

describe('rename backends: the copy is verified on the backend\'s own temp name, before the rename', () => {
  for (const t of streamTargets.filter((x) => ['hdfs', 'sftp', 'local'].includes(x.name))) {
    it.skipIf(t.skip)(`${t.name}: one temp name (the backend's), checked while the final name is still absent`, async () => {
      const { root } = sourceTree({ 'x.log': 50_000 })
      const real = t.make()
      const seen: { path: string; finalExists: boolean }[] = []
      const opened: string[] = []
      const fs = new Proxy(real, {
        get: (x, k, rcv) => {
          if (k === 'createWriteStream') return (p: string, o?: Parameters<FileSystem['createWriteStream']>[1]) => (opened.push(p), real.createWriteStream(p, o))
          // Local to local: the backend's native write (one pass, same temp name and hook).
          if (k === 'writeLocalFile' && real.writeLocalFile) {
            const write = real.writeLocalFile.bind(real)
            return (l: string, p: string, o: Parameters<NonNullable<FileSystem['writeLocalFile']>>[2]) => (opened.push(p), write(l, p, o))
          }
          if (k === 'stat')
            return async (p: string) => {
              if (p.includes('logferry-tmp')) seen.push({ path: p, finalExists: await real.exists('x.log') })
              return real.stat(p)
            }
          const v: unknown = Reflect.get(x, k, rcv)
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(x) : v
        },
      })
      const r = await transferFiles({ source: `file://${root}`, files: 'x.log', target: fs, retries: 2, retryDelay: 50 })
      expect(byTarget(r).get('x.log')).toMatchObject({ outcome: 'copied' })
      // The method writes the final name; the backend's temp sibling is what gets verified.
      expect(opened).toEqual(['x.log'])
      expect(seen.length).toBeGreaterThan(0)
      expect(seen.every((e) => /^\.x\.log\.logferry-tmp-/.test(e.path) && !e.finalExists)).toBe(true)
      expect(await everything(real)).toEqual(['x.log'])
    })
  }
})

/** `real`, counting the reads of its content (read-backs) through it. */
function watchReads(real: FileSystem): { fs: FileSystem; reads: () => number } {
  let n = 0
  const fs = new Proxy(real, {
    get: (x, k, rcv) => {
      if (k === 'createReadStream' || k === 'readFile') n++
      if (k === 'checksum') return (p: string, a?: 'sha256' | 'md5' | 'native') => (a === 'native' ? real.checksum(p, a) : (n++, real.checksum(p, a)))
      const v: unknown = Reflect.get(x, k, rcv)
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(x) : v
    },
  })
  return { fs, reads: () => n }
}

describe('transferFiles to object stores: verified from what the store states, without a read-back', () => {
  for (const name of ['s3', 'gcs', 'azure'] as const) {
    const t = target(name)
    it.skipIf(skip(t))(`local -> ${name}: a small file and a 9 MiB file`, async () => {
      const { root, content } = sourceTree({ 'small.log': 100_000, 'nine.bin': 9 * MiB + 5 })
      const real = open(t.make())
      const { fs, reads } = watchReads(real)
      const r = await transferFiles({ source: `file://${root}`, files: '*', target: fs, retries: 2, retryDelay: 50 })
      for (const [name, data] of content) expect(byTarget(r).get(name)).toMatchObject({ outcome: 'copied', checksum: sha256(data) })
      expect(reads()).toBe(0)
      expect(await t.rawList(real)).toEqual(['nine.bin', 'small.log'])
    })
  }
})

/** Counts the parts a strategy uploads (a real strategy, observed). */
function countingParts(inner: ChunkedUploadStrategy, counted: { parts: number }): ChunkedUploadStrategy {
  return {
    ...inner,
    begin: async (p, size, options) => {
      const s = await inner.begin(p, size, options)
      return {
        uploadPart: (i, data, sums) => {
          counted.parts++
          return s.uploadPart(i, data, sums)
        },
        complete: (n, o) => s.complete(n, o),
        abort: () => s.abort(),
      }
    },
  }
}

/** Counts the sessions a strategy completes (assembles into the object). */
function countingCompletes(inner: ChunkedUploadStrategy, completes: { n: number }): ChunkedUploadStrategy {
  return {
    ...inner,
    begin: async (p, size, options) => {
      const s = await inner.begin(p, size, options)
      return {
        uploadPart: (i, data, sums) => s.uploadPart(i, data, sums),
        complete: (n, o) => (completes.n++, s.complete(n, o)),
        abort: () => s.abort(),
      }
    },
  }
}

describe('transferFiles: large files go up in parallel parts, verified the same way', () => {
  for (const name of ['s3', 'hdfs', 'gcs', 'azure'] as const) {
    const t = target(name)
    it.skipIf(skip(t))(`local -> ${name}: a 40 MiB file uses the chunked writer (parts, metadata, report); a flipped byte in one part fails ERR_VERIFY_FAILED`, async () => {
      const { root, content } = sourceTree({ 'big.bin': 40 * MiB + 11 })
      const real = open(t.make())
      const counted = { parts: 0 }
      const strategy = chunkedStrategyFor(real) as ChunkedUploadStrategy
      const observed = new Proxy(real, {
        get: (x, k, rcv) => (k === 'capabilities' ? { ...real.capabilities, parallelParts: countingParts(strategy, counted) } : ((v: unknown) => (typeof v === 'function' ? v.bind(x) : v))(Reflect.get(x, k, rcv))),
      })
      let progressed = 0
      const ok = await transferFiles({ source: `file://${root}`, files: 'big.bin', target: observed, retries: 2, retryDelay: 50, onProgress: (p) => (progressed = p.bytesDone) })
      const want = sha256(content.get('big.bin') as Buffer)
      expect(byTarget(ok).get('big.bin')).toMatchObject({ outcome: 'copied', bytes: 40 * MiB + 11, checksum: want })
      // 32 MiB parts (Azure: one block, 8 MiB, the largest stream write it states a checksum for)
      expect(counted.parts).toBe(Math.ceil((40 * MiB + 11) / chunkSizeFor(real, strategy, 40 * MiB + 11, DEFAULT_CHUNK_SIZE)))
      expect(counted.parts).toBe(name === 'azure' ? 6 : 2)
      expect(progressed).toBe(40 * MiB + 11)
      if (real.capabilities.objectMetadata) expect((await real.stat('big.bin')).metadata?.['logferry-sha256']).toBe(want)
      expect((await real.checksum('big.bin', 'sha256')).value).toBe(want)

      const log: FlipLog = []
      const bad = await transferFiles({ source: `file://${root}`, files: 'big.bin', target: flipping(real, log, { part: 1 }), retries: 2, retryDelay: 50, overwrite: 'always' })
      expect(byTarget(bad).get('big.bin')).toMatchObject({ outcome: 'failed', attempts: 1, error: { code: 'ERR_VERIFY_FAILED' } })
      expect(log).toEqual(['part 1 of big.bin'])
      // The damaged copy never replaced the good one: the final name still holds the right bytes.
      expect((await real.checksum('big.bin', 'sha256')).value).toBe(want)
      expect(await t.rawList(real)).toEqual(['big.bin'])
    }, 120_000)
  }
})

describe('transferFiles: parallel parts share the bandwidth limit', () => {
  const t = target('s3')
  it.skipIf(skip(t))('a 40 MiB file in parts at 10 MiB/s takes at least 3.75 s (lower bound only) and arrives intact', async () => {
    const { root, content } = sourceTree({ 'big.bin': 40 * MiB })
    const real = open(t.make())
    const t0 = performance.now()
    const r = await transferFiles({ source: `file://${root}`, files: 'big.bin', target: real, retries: 2, retryDelay: 50, bandwidthLimit: '10MiB/s' })
    const seconds = (performance.now() - t0) / 1000
    expect(byTarget(r).get('big.bin')).toMatchObject({ outcome: 'copied', checksum: sha256(content.get('big.bin') as Buffer) })
    // The bucket starts empty and holds a quarter second: 40 MiB cannot pass in under 3.75 s.
    expect(seconds).toBeGreaterThanOrEqual(3.75)
    expect((await real.stat('big.bin')).md5OfParts).toMatch(/-2$/)
  }, 120_000)
})

describe('uploadFile with a store that flips one byte', () => {
  for (const t of all) {
    // S3 parts must be at least 5 MiB; the others take an odd size so chunk and block edges never align.
    const chunk = t.name === 's3' ? 5 * MiB : 1_000_003
    const size = t.name === 's3' ? 11 * MiB + 17 : 3_500_000

    describe.skipIf(skip(t))(t.name, () => {
      it('a single streamed write (file smaller than a chunk) fails ERR_VERIFY_FAILED, nothing published', async () => {
        const real = open(t.make())
        const log: FlipLog = []
        const local = await randomFile(chunk - 1)
        await expect(uploadFile(flipping(real, log), local, 'small.bin', { chunkSize: chunk, retries: 2, retryDelay: 50 })).rejects.toMatchObject({ code: 'ERR_VERIFY_FAILED' })
        expect(log).toEqual(['small.bin'])
        expect(await real.exists('small.bin')).toBe(false)
        expect(await t.rawList(real)).toEqual([])
      })

      it('a chunked upload with one damaged part fails ERR_VERIFY_FAILED (per-part check), nothing published, no parts left', async () => {
        const real = open(t.make())
        const log: FlipLog = []
        const local = await randomFile(size)
        const completes = { n: 0 }
        const strategy = countingCompletes(flippingStrategy(chunkedStrategyFor(real) as ChunkedUploadStrategy, log, { part: 1 }), completes)
        const err = await uploadFile(real, local, 'logs/up.bin', { chunkSize: chunk, concurrency: 2, retries: 2, retryDelay: 50, strategy }).then(
          () => undefined,
          (e: unknown) => e as Error & { code?: string },
        )
        expect(err).toMatchObject({ code: 'ERR_VERIFY_FAILED' })
        // S3, GCS and Azure check each part (Content-MD5 and ETag, stored MD5, block MD5): the
        // damage is caught at the part, before the object is assembled. Without those checks the
        // whole-object check would still fail the upload, but only after complete(). WebHDFS
        // states nothing per part: its check is the file checksum between CONCAT and RENAME.
        expect(completes.n).toBe(t.name === 'hdfs' ? 1 : 0)
        // Which check refused the part. S3: the ETag (MD5 of what arrived) against the MD5 of
        // what was read; moto takes a part whose body does not match its Content-MD5 (real S3
        // answers BadDigest), so against moto the ETag check is the one that must hold. GCS:
        // the part object's stored MD5. Azure: the service refuses the block (contentMD5).
        // Removing each of these checks fails this test (S3: the upload then fails only at the
        // whole-object check after complete(); Azure: the upload of the damaged part is reported done).
        const refusedBy = { s3: /part 2: ETag [0-9a-f]{32} is not the MD5 of the bytes read/, gcs: /part 1: stored MD5 /, azure: /ECHECKSUM: az .*400 InvalidOperation/, hdfs: /HDFS checksum/ }
        expect(err?.message).toMatch(refusedBy[t.name])
        expect(log).toEqual(['part 1 of logs/up.bin'])
        expect(await real.exists('logs/up.bin')).toBe(false)
        expect(await t.rawList(real)).toEqual([])
      })

      // Azure's only record of a block's bytes is the MD5 it checked the block against: a part
      // damaged together with its checksum is not something the store could ever reveal.
      if (t.name !== 'azure') it('a part damaged together with its checksum is caught by the whole-object check, nothing published', async () => {
        const real = open(t.make())
        const log: FlipLog = []
        const local = await randomFile(size)
        const strategy = flippingStrategy(chunkedStrategyFor(real) as ChunkedUploadStrategy, log, { part: 2, lyingSums: true })
        const err = await uploadFile(real, local, 'whole.bin', { chunkSize: chunk, concurrency: 3, retries: 2, retryDelay: 50, strategy }).then(
          () => undefined,
          (e: unknown) => e as Error & { code?: string },
        )
        expect(err).toMatchObject({ code: 'ERR_VERIFY_FAILED' })
        // The whole-object check names what the store stated about the assembled object.
        expect(err?.message).toMatch(t.name === 's3' ? /md5 of parts/ : t.name === 'gcs' ? /crc32c/ : /HDFS checksum/)
        expect(log).toEqual(['part 2 of whole.bin'])
        expect(await real.exists('whole.bin')).toBe(false)
        expect(await t.rawList(real)).toEqual([])
      })

      it('an undamaged chunked upload succeeds, verified from what the store states (no read-back)', async () => {
        const real = open(t.make())
        const local = await randomFile(size)
        const { fs: watched, reads } = watchReads(real)
        const r = await uploadFile(watched, local, 'fine.bin', { chunkSize: chunk, concurrency: 3, retries: 2, retryDelay: 50 })
        expect(r).toMatchObject({ parts: Math.ceil(size / chunk), size })
        expect(reads()).toBe(0)
        expect(await t.rawList(real)).toEqual(['fine.bin'])
        expect((await real.checksum('fine.bin', 'sha256')).value).toBe(sha256(readFileSync(local)))
      })
    })
  }

  it('local target: the damaged temp file is never renamed into place', async () => {
    const root = tempDir()
    const real = open(new LocalFileSystem({ root }))
    const log: FlipLog = []
    const local = await randomFile(300_000)
    await expect(uploadFile(flipping(real, log), local, 'd/x.bin', { retries: 2, retryDelay: 50 })).rejects.toMatchObject({ code: 'ERR_VERIFY_FAILED' })
    expect(log).toEqual(['d/x.bin'])
    expect(readdirSync(join(root, 'd'))).toEqual([])
  })
})

describe('a FileSystem object that declares no capabilities', () => {
  it('is verified by reading back what it stored: a flipped byte fails ERR_VERIFY_FAILED and the copy is removed', async () => {
    const { root, content } = sourceTree({ 'good.log': 70_000, 'bad.log': 70_000 })
    const mem = new MemoryFileSystem()
    const log: FlipLog = []
    const flipped = flipping(mem, log, { match: (p) => p.includes('bad') })
    const plain = new Proxy(flipped, { get: (x, k, r) => (k === 'capabilities' ? undefined : Reflect.get(x, k, r)) })
    expect(plain.capabilities).toBeUndefined()
    const r = await transferFiles({ source: `file://${root}`, files: '*.log', target: plain, retries: 2, retryDelay: 50 })
    expect(byTarget(r).get('good.log')).toMatchObject({ outcome: 'copied', checksum: sha256(content.get('good.log') as Buffer) })
    expect(byTarget(r).get('bad.log')).toMatchObject({ outcome: 'failed', error: { code: 'ERR_VERIFY_FAILED', message: expect.stringMatching(/sha256/) } })
    expect(log).toEqual(['bad.log'])
    expect(await everything(mem)).toEqual(['good.log'])
  })
})

describe('copy job with a store that flips one byte', () => {
  it('the run reports the file failed with ERR_VERIFY_FAILED, the destination holds only the good file', async () => {
    const src = tempDir()
    const dest = tempDir()
    writeFileSync(join(src, 'good.log'), 'fine\n'.repeat(1000))
    writeFileSync(join(src, 'bad.log'), 'damaged on the way\n'.repeat(1000))
    const log: FlipLog = []
    const destination = flipping(new LocalFileSystem({ root: dest }), log, { match: (p) => p.endsWith('bad.log'), at: 10 })
    const runner = new CopyJobRunner()
    runner.start({ name: 'flip', localPattern: join(src, '*.log'), destination, stateDir: tempDir(), runOnStart: false, maxRetries: 2, retryDelay: 50, settleTime: 0 })
    try {
      const r = await runner.runNow('flip')
      expect(r).toMatchObject({ matched: 2, copied: 1, failed: 1 })
      expect(r.error).toMatchObject({ code: 'ERR_VERIFY_FAILED' })
      expect(log).toEqual(['bad.log'])
      expect(readdirSync(dest).sort()).toEqual(['good.log'])
    } finally {
      await runner.stopAll()
    }
  })
})
