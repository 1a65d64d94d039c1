/**
 * uploadFile against the real servers: parallel chunked uploads (S3 multipart, GCS compose,
 * Azure blocks, WebHDFS concat) with exact content, no temporary leftovers after success or
 * failure, per-chunk retries, bounded memory, and the put fallback.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import {
  GcsFileSystem,
  LocalFileSystem,
  MemoryFileSystem,
  S3FileSystem,
  chunkedStrategyFor,
  uploadFile,
  type FileSystem,
} from '../../ts/storage/index.js'
import { MiB, permanent, randomFile, scratchDir, transient, withFaults } from './helpers.js'
import { sha256File, targets, uniquePrefix, uploaderServers } from './targets.js'
import { inCI } from '../servers/ci.js'

const run = promisify(execFile)

const info = await uploaderServers()

const METHOD: Record<string, string> = { s3: 's3-multipart', gcs: 'gcs-compose', azure: 'azure-blocks', hdfs: 'webhdfs-concat' }

for (const t of targets(info)) {
  // S3 parts must be at least 5 MiB; the others take an odd size so chunk and block edges never align.
  const chunk = t.name === 's3' ? 5 * MiB : 1_000_003
  const size = t.name === 's3' ? 23 * MiB + 17 : 5_500_000

  describe.skipIf(t.missing !== undefined && !inCI)(`uploadFile to ${t.name}`, () => {
    const withFs = async (f: (fs: FileSystem) => Promise<void>): Promise<void> => {
      const fs = t.make()
      try {
        await f(fs)
      } finally {
        await fs.close()
      }
    }

    it('uploads a multi-chunk file in parallel with exact content and no temporary leftovers', async () => {
      await withFs(async (fs) => {
        const local = await randomFile(size)
        const r = await uploadFile(fs, local, 'logs/a/file.bin', { chunkSize: chunk, concurrency: 3 })
        expect(r).toMatchObject({ size, method: METHOD[t.name], parts: Math.ceil(size / chunk), chunkSize: chunk, retries: 0 })
        expect((await fs.stat('logs/a/file.bin')).size).toBe(size)
        expect((await fs.checksum('logs/a/file.bin', 'sha256')).value).toBe(await sha256File(local))
        expect(await t.rawList(fs)).toEqual(['logs/a/file.bin'])
      })
    })

    it('replaces an existing object', async () => {
      await withFs(async (fs) => {
        await fs.writeFile('x.bin', 'old content')
        const local = await randomFile(size)
        await uploadFile(fs, local, 'x.bin', { chunkSize: chunk, concurrency: 2 })
        expect((await fs.checksum('x.bin', 'sha256')).value).toBe(await sha256File(local))
        expect(await t.rawList(fs)).toEqual(['x.bin'])
      })
    })

    it('retries a chunk that failed transiently, and only that chunk', async () => {
      await withFs(async (fs) => {
        const local = await randomFile(size)
        const inner = chunkedStrategyFor(fs)
        if (!inner) throw new Error('no strategy')
        const { strategy, log } = withFaults(inner, (i, attempt) => ((i === 1 || i === 3) && attempt === 1 ? transient(`part ${i}`) : undefined))
        const retried: number[] = []
        const r = await uploadFile(fs, local, 'retry.bin', { chunkSize: chunk, concurrency: 4, retries: 2, retryDelay: 10, strategy, onRetry: (_e, _a, part) => retried.push(part ?? -1) })
        expect(r.retries).toBe(2)
        expect(retried.sort()).toEqual([1, 3])
        expect([...log.attempts.entries()].sort((a, b) => a[0] - b[0])).toEqual(Array.from({ length: r.parts }, (_, i) => [i, i === 1 || i === 3 ? 2 : 1]))
        expect((await fs.checksum('retry.bin', 'sha256')).value).toBe(await sha256File(local))
      })
    })

    it('a failed upload publishes nothing and removes its temporary parts', async () => {
      await withFs(async (fs) => {
        const local = await randomFile(size)
        const inner = chunkedStrategyFor(fs)
        if (!inner) throw new Error('no strategy')
        // Part 2 keeps failing transiently (retries exhausted); part 4 fails for good.
        const { strategy } = withFaults(inner, (i) => (i === 2 ? transient('part 2') : i === 4 ? permanent('part 4') : undefined))
        await expect(uploadFile(fs, local, 'dir/failed.bin', { chunkSize: chunk, concurrency: 2, retries: 1, retryDelay: 5, strategy })).rejects.toMatchObject({ code: expect.stringMatching(/^(ETRANSIENT|EIO)$/) })
        expect(await fs.exists('dir/failed.bin')).toBe(false)
        expect(await t.rawList(fs)).toEqual([])
      })
    })

    it('uploads a file smaller than one chunk with a single put', async () => {
      await withFs(async (fs) => {
        const local = await randomFile(chunk - 1)
        const r = await uploadFile(fs, local, 'small.bin', { chunkSize: chunk })
        expect(r).toMatchObject({ method: 'put', parts: 1, size: chunk - 1 })
        expect((await fs.checksum('small.bin', 'sha256')).value).toBe(await sha256File(local))
      })
    })
  })
}

const gcs = targets(info).find((t) => t.name === 'gcs')
describe.skipIf(gcs?.missing !== undefined && !inCI)('GCS compose beyond 32 components', () => {
  it('composes 70 parts in rounds of at most 32 sources and deletes every part and intermediate', async () => {
    const fs = gcs?.make() as GcsFileSystem
    try {
      const chunk = 64 * 1024
      const size = 69 * chunk + 123
      const local = await randomFile(size)
      const calls: { sources: number; destination: string }[] = []
      const combine = fs.bucket.combine.bind(fs.bucket) as (s: string[], d: string) => Promise<unknown>
      // Observe (not replace) the real compose calls.
      ;(fs.bucket as unknown as { combine: (s: string[], d: string) => Promise<unknown> }).combine = (s, d) => {
        calls.push({ sources: s.length, destination: d })
        return combine(s, d)
      }
      const r = await uploadFile(fs, local, 'big/seventy.bin', { chunkSize: chunk, concurrency: 4 })
      expect(r).toMatchObject({ method: 'gcs-compose', parts: 70 })
      expect(calls.length).toBe(4) // 32 + 32 + 6 sources into 3 intermediates, then 3 into the target
      expect(Math.max(...calls.map((c) => c.sources))).toBeLessThanOrEqual(32)
      expect(calls.map((c) => c.sources).sort((a, b) => a - b)).toEqual([3, 6, 32, 32])
      expect(calls.at(-1)?.destination).toBe(fs.objectKey('big/seventy.bin'))
      expect((await fs.checksum('big/seventy.bin', 'sha256')).value).toBe(await sha256File(local))
      expect(await gcs?.rawList(fs)).toEqual(['big/seventy.bin'])
    } finally {
      await fs.close()
    }
  })

  it('two concurrent uploads of the same name use disjoint temporary names', async () => {
    const fs = gcs?.make() as GcsFileSystem
    try {
      const chunk = 64 * 1024
      const a = await randomFile(40 * chunk)
      const b = await randomFile(40 * chunk, scratchDir()) // same size: the size check holds for either winner
      await Promise.all([uploadFile(fs, a, 'same.bin', { chunkSize: chunk }), uploadFile(fs, b, 'same.bin', { chunkSize: chunk })])
      const got = (await fs.checksum('same.bin', 'sha256')).value
      expect([await sha256File(a), await sha256File(b)]).toContain(got)
      expect(await gcs?.rawList(fs)).toEqual(['same.bin'])
    } finally {
      await fs.close()
    }
  })
})

const s3 = targets(info).find((t) => t.name === 's3')
describe.skipIf(s3?.missing !== undefined && !inCI)('memory stays bounded by chunkSize x concurrency', () => {
  const measure = async (file: string, prefix: string, mode: 'chunked' | 'whole-file'): Promise<number> => {
    const fixture = fileURLToPath(new URL('./fixtures/rss-upload.ts', import.meta.url))
    const { stdout } = await run(process.execPath, ['--import', 'tsx', fixture, info.s3?.endpoint ?? '', info.s3?.bucket ?? '', prefix, file, String(5 * MiB), '4', mode])
    return (JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { growth: number }).growth
  }

  it('uploads a 96 MiB file in 5 MiB chunks, 4 in flight, with RSS growth under 4 x 5 MiB + 24 MiB (a whole-file read does not)', async () => {
    const local = await randomFile(96 * MiB)
    const prefix = uniquePrefix()
    const chunked = await measure(local, prefix, 'chunked')
    const whole = await measure(local, `${uniquePrefix()}`, 'whole-file')
    console.log(`[uploader] 96 MiB to S3 in a fresh process: RSS growth ${(chunked / MiB).toFixed(1)} MiB chunked (5 MiB x 4), ${(whole / MiB).toFixed(1)} MiB whole-file`)
    expect(chunked).toBeLessThan(4 * 5 * MiB + 24 * MiB)
    // The control: holding the file in memory breaks the same bound, so the measurement sees it.
    expect(whole).toBeGreaterThan(4 * 5 * MiB + 24 * MiB)
    const fs = new S3FileSystem({ bucket: info.s3?.bucket ?? '', endpoint: info.s3?.endpoint, region: 'us-east-1', accessKeyId: 'k', secretAccessKey: 's', prefix })
    try {
      expect((await fs.checksum('big.bin', 'sha256')).value).toBe(await sha256File(local))
    } finally {
      await fs.close()
    }
  })
})

describe('backends without chunked uploads', () => {
  it('local and memory filesystems get a single put whatever the size', async () => {
    const local = await randomFile(3 * MiB + 5)
    for (const fs of [new LocalFileSystem({ root: mkdtempSync(`${scratchDir()}/root-`) }), new MemoryFileSystem({ name: `up-${Date.now()}` })]) {
      expect(chunkedStrategyFor(fs)).toBeUndefined()
      const r = await uploadFile(fs, local, 'd/f.bin', { chunkSize: MiB })
      expect(r).toMatchObject({ method: 'put', parts: 1, size: 3 * MiB + 5 })
      expect((await fs.checksum('d/f.bin', 'sha256')).value).toBe(await sha256File(local))
    }
  })

  it('rejects bad options with ERR_INVALID_CONFIG naming the key', async () => {
    const fs = new MemoryFileSystem({ name: `bad-${Date.now()}` })
    const local = await randomFile(10)
    await expect(uploadFile(fs, local, 'x', { chunkSize: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_CONFIG', message: expect.stringContaining('chunkSize') })
    await expect(uploadFile(fs, local, 'x', { concurrency: 1.5 })).rejects.toMatchObject({ code: 'ERR_INVALID_CONFIG', message: expect.stringContaining('concurrency') })
  })
})
