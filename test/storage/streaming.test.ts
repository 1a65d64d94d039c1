/**
 * Streaming at scale, per backend on its real server:
 *  - throughput: a 256 MiB upload and download, timed (MB/s printed and saved), checksums compared;
 *  - bounded memory: a 1 GiB file streamed up and back down while this worker's RSS is sampled;
 *    growth must stay far below the file size. The memory backend stores what it is given, so it
 *    takes part in the throughput run only.
 * Each test file runs in its own forked worker (vitest pool 'forks'), so RSS is this file's own.
 */
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { afterAll, describe, expect, it } from 'vitest'
import type { FileSystem } from '../../ts/storage/index.js'
import { backends } from './backends.js'
import { MiB } from './helpers.js'
import { inCI } from '../servers/ci.js'

const RSS_LIMIT = 256 * MiB
const results: Record<string, { uploadMBps?: number; downloadMBps?: number; rssBaseMiB?: number; rssGrowthMiB?: number }> = {}

/** `size` bytes of stamped chunks; `digest()` gives their sha256 once fully read. */
function source(size: number): { stream: Readable; digest: () => string } {
  const h = createHash('sha256')
  const base = Buffer.alloc(MiB)
  for (let i = 0; i < MiB; i += 4) base.writeUInt32LE((i * 2654435761) >>> 0, i)
  function* gen(): Generator<Buffer> {
    for (let off = 0, i = 0; off < size; off += MiB, i++) {
      const c = Buffer.from(base.subarray(0, Math.min(MiB, size - off)))
      c.writeUInt32BE(i, 0)
      h.update(c)
      yield c
    }
  }
  return { stream: Readable.from(gen()), digest: () => h.digest('hex') }
}

async function download(fs: FileSystem, path: string): Promise<string> {
  const h = createHash('sha256')
  for await (const c of fs.createReadStream(path)) h.update(c as Buffer)
  return h.digest('hex')
}

class RssProbe {
  peak = 0
  readonly base: number
  private timer: NodeJS.Timeout
  constructor() {
    this.base = process.memoryUsage().rss
    this.timer = setInterval(() => {
      this.peak = Math.max(this.peak, process.memoryUsage().rss)
    }, 25)
  }
  stop(): number {
    clearInterval(this.timer)
    this.peak = Math.max(this.peak, process.memoryUsage().rss)
    return this.peak - this.base
  }
}

const mbps = (bytes: number, ms: number): number => Math.round((bytes / 1e6 / (ms / 1000)) * 10) / 10

afterAll(() => {
  const rows = Object.entries(results).map(
    ([b, r]) => `${b.padEnd(8)} upload ${String(r.uploadMBps ?? '-').padStart(7)} MB/s   download ${String(r.downloadMBps ?? '-').padStart(7)} MB/s   1 GiB: RSS ${r.rssBaseMiB ?? '-'} MiB at start, +${r.rssGrowthMiB ?? '-'} MiB peak`,
  )
  console.log(`\nstorage throughput (256 MiB) and memory (1 GiB):\n${rows.join('\n')}\n`)
  writeFileSync(join(tmpdir(), 'logferry-storage-throughput.json'), JSON.stringify(results, null, 2))
})

for (const b of backends()) {
  describe.skipIf(Boolean(b.missing) && !inCI)(`streaming: ${b.name}`, () => {
    // Runs first, in a fresh worker, so earlier allocations do not hide growth.
    if (b.name !== 'memory') it('streams 1 GiB up and down with bounded RSS', async () => {
      if (b.missing) throw new Error(`${b.name} server missing: ${b.missing}`)
      const fs = b.make()
      try {
        const size = 1024 * MiB
        const src = source(size)
        const probe = new RssProbe()
        await pipeline(src.stream, fs.createWriteStream('rss/1g.bin'))
        const got = await download(fs, 'rss/1g.bin')
        const growth = probe.stop()
        expect(got).toBe(src.digest())
        expect((await fs.stat('rss/1g.bin')).size).toBe(size)
        results[b.name] = { ...results[b.name], rssBaseMiB: Math.round(probe.base / MiB), rssGrowthMiB: Math.round(growth / MiB) }
        expect(growth, `RSS grew by ${Math.round(growth / MiB)} MiB`).toBeLessThan(RSS_LIMIT)
        await fs.rm('rss', { recursive: true })
      } finally {
        await fs.close()
      }
    }, 900_000)
    it('moves 256 MiB each way (throughput)', async () => {
      if (b.missing) throw new Error(`${b.name} server missing: ${b.missing}`)
      const fs = b.make()
      try {
        const size = 256 * MiB
        const src = source(size)
        let t = Date.now()
        await pipeline(src.stream, fs.createWriteStream('bench/256.bin'))
        const up = Date.now() - t
        t = Date.now()
        const got = await download(fs, 'bench/256.bin')
        const down = Date.now() - t
        expect(got).toBe(src.digest())
        results[b.name] = { ...results[b.name], uploadMBps: mbps(size, up), downloadMBps: mbps(size, down) }
        await fs.rm('bench', { recursive: true })
      } finally {
        await fs.close()
      }
    }, 600_000)

  })
}
