// worker_threads: several workers open a Logger on the same path (one shared engine per path
// per process) and write concurrently; every record is on disk exactly once.
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { afterAll, describe, expect, it } from 'vitest'
import { Logger, type LoggerOptions } from '../../dist/index.js'
import { expectExactlyOnce, range, readDir, removeDir, tempDir, textRecord } from './helpers.js'

const dirs: string[] = []
afterAll(() => dirs.forEach(removeDir))

const fixture = new URL('./fixtures/worker-writer.mjs', import.meta.url)

interface WorkerResult { done: boolean; closed: boolean; pushed: number; sealed: string[] }

function runWorker(data: object): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(fixture, { workerData: data })
    let msg: WorkerResult | undefined
    w.on('message', (m) => (msg = m))
    w.on('error', reject)
    w.on('exit', (code) => {
      if (code !== 0) reject(new Error(`worker exited with ${code}`))
      else if (!msg) reject(new Error('worker sent no result'))
      else resolve(msg)
    })
  })
}

describe('worker_threads writing to one logger', () => {
  const cases = [
    { format: 'text', shardSelection: 'thread', close: 'async' },
    { format: 'framed', shardSelection: 'roundRobin', close: 'sync' },
    { format: 'text', shardSelection: 'roundRobin', close: 'none' },
  ] as const
  for (const c of cases) {
    it(`4 workers + main on the same path (${c.format}, ${c.shardSelection}, worker close: ${c.close})`, async () => {
      const d = tempDir()
      dirs.push(d)
      const options: LoggerOptions = {
        logFilePath: join(d, 'shared.log'), format: c.format, shardSelection: c.shardSelection,
        numShards: 4, bufferSize: 256 * 1024, maxFileSize: 256 * 1024, preallocateFileSize: 0,
      }
      const main = new Logger(options)
      const sealed: string[] = []
      main.on('sealed', (p) => sealed.push(p))
      const PER = 12_000
      const workers = range(0, 4).map((w) => runWorker({ options, start: (w + 1) * PER, count: PER, close: c.close, awaitSealed: true }))
      // the main thread writes too, concurrently
      for (const id of range(0, PER)) {
        main.log(textRecord(id))
        if (id % 5000 === 0) await new Promise((r) => setImmediate(r))
      }
      const results = await Promise.all(workers)
      for (const r of results) expect(r.closed).toBe(c.close !== 'none')
      // A worker's close only released its handle: the shared engine is still open.
      expect(main.closed).toBe(false)
      main.log(textRecord(5 * PER))
      await main.flush()
      const live = main.getStats()
      expect(live.totalLogs).toBe(5 * PER + 1)
      await main.close()
      const s = main.getStats()
      const { files, records, bytes } = readDir(d)
      expectExactlyOnce(records, range(0, 5 * PER + 1))
      expect(s.totalLogs).toBe(5 * PER + 1)
      expect(s.droppedLogs).toBe(0)
      expect(s.bytesWritten).toBe(bytes)
      expect(files.length).toBeGreaterThan(2)
      expect([...new Set(sealed)].sort()).toEqual(files)
      // Each worker's handle got sealed files pushed to its own thread, each once, all real.
      for (const r of results) {
        expect(r.pushed).toBeGreaterThan(0)
        expect(new Set(r.sealed).size).toBe(r.sealed.length)
        for (const p of r.sealed) expect(files).toContain(p)
      }
    })
  }

  it('the engine closes with the last handle: a worker may outlive the main logger', async () => {
    const d = tempDir()
    dirs.push(d)
    const options: LoggerOptions = { logFilePath: join(d, 'late.log'), preallocateFileSize: 0 }
    const main = new Logger(options)
    main.log(textRecord(0))
    const w = runWorker({ options, start: 1, count: 10_000, close: 'async' })
    await main.close() // releases only main's handle if the worker joined already
    await w
    const { records } = readDir(d)
    expectExactlyOnce(records, range(0, 10_001))
  })
})
