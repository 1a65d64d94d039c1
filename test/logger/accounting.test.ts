// Exact accounting through the JS API: unique ids with checksums, across rotations, both
// formats and both shard selections; and onFull: 'drop' keeps its books straight.
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Logger } from '../../dist/index.js'
import { binaryRecord, expectExactlyOnce, idCounts, range, readDir, removeDir, tempDir, textRecord } from './helpers.js'

const dirs: string[] = []
afterAll(() => dirs.forEach(removeDir))

describe('exact accounting', () => {
  for (const format of ['text', 'framed'] as const) {
    for (const shardSelection of ['thread', 'roundRobin'] as const) {
      it(`every id exactly once, intact, across rotations (${format}, ${shardSelection})`, async () => {
        const d = tempDir()
        dirs.push(d)
        const l = new Logger({
          logFilePath: join(d, 'acc.log'), format, shardSelection, numShards: 4, bufferSize: 64 * 1024,
          maxFileSize: 64 * 1024, preallocateFileSize: 0, flushInterval: 5,
        })
        const N = 40_000
        const bin = (id: number) => (format === 'framed' ? binaryRecord(id) : Buffer.from(textRecord(id)))
        let id = 0
        while (id < N) {
          const kind = Math.floor(id / 500) % 4
          if (kind === 0) {
            for (const i of range(id, id + 500)) l.log(textRecord(i))
          } else if (kind === 1) {
            for (const i of range(id, id + 500)) expect(l.logBytes(bin(i))).toBe(true)
          } else if (kind === 2) {
            expect(l.logBatch(range(id, id + 500).map((i) => textRecord(i)))).toEqual({ accepted: 500, dropped: 0 })
          } else {
            const mixed = range(id, id + 500).map((i) => (i % 3 === 0 ? bin(i) : textRecord(i)))
            expect(l.logBatch(mixed)).toEqual({ accepted: 500, dropped: 0 })
            await new Promise((r) => setImmediate(r)) // let the flusher run between turns
          }
          id += 500
        }
        await l.close()
        const s = l.getStats()
        const { files, records, bytes } = readDir(d)
        expect(files.length).toBeGreaterThan(5)
        expectExactlyOnce(records, range(0, N))
        expect(s.totalLogs).toBe(N)
        expect(s.droppedLogs).toBe(0)
        expect(s.totalLogs + s.droppedLogs).toBe(N)
        expect(s.bytesWritten).toBe(bytes)
        expect([s.rotations, s.rotations + 1]).toContain(files.length)
        expect(s.flushErrors).toBe(0)
      })
    }
  }

  for (const format of ['text', 'framed'] as const) {
    it(`onFull 'drop' with a tiny buffer: accepted + dropped == attempted, accepted all on disk (${format})`, async () => {
      const d = tempDir()
      dirs.push(d)
      const l = new Logger({
        logFilePath: join(d, 'drop.log'), format, onFull: 'drop', bufferSize: 4096, numShards: 1,
        maxFileSize: 256 * 1024, preallocateFileSize: 0,
      })
      const bin = (id: number) => (format === 'framed' ? binaryRecord(id) : Buffer.from(textRecord(id)))
      let attempted = 0
      let bytesDropped = 0
      let batchDropped = 0
      let id = 0
      // A burst that must drop: 5000 records (~300 KB) in one call into the engine fill a 4 KiB
      // buffer every few microseconds, far faster than the flusher can write each one, so the
      // shard's other buffer is still waiting for the disk on most swaps. If the JS layer did
      // not pass 'drop' on, the engine would block instead and drop nothing.
      const burst = l.logBatch(range(0, 5000).map(bin))
      expect(burst.accepted + burst.dropped).toBe(5000)
      expect(burst.dropped).toBeGreaterThan(0)
      expect(burst.accepted).toBeGreaterThan(0)
      batchDropped += burst.dropped
      attempted += 5000
      id = 5000
      for (let round = 0; round < 40; round++) {
        for (let i = 0; i < 500; i++) l.log(textRecord(id++))
        for (let i = 0; i < 500; i++) if (!l.logBytes(bin(id++))) bytesDropped++
        const batch = range(id, id + 500).map((i) => (i % 2 ? bin(i) : textRecord(i)))
        id += 500
        const r = l.logBatch(batch)
        expect(r.accepted + r.dropped).toBe(500)
        batchDropped += r.dropped
        attempted += 1500
      }
      await l.close()
      const s = l.getStats()
      expect(s.droppedLogs).toBeGreaterThan(0)
      expect(s.totalLogs + s.droppedLogs).toBe(attempted)
      // log() does not report its drops; logBytes and logBatch do, and the engine counts all.
      expect(s.droppedLogs).toBeGreaterThanOrEqual(bytesDropped + batchDropped)
      const { records, bytes } = readDir(d)
      expect(records.length).toBe(s.totalLogs)
      const counts = idCounts(records) // throws on any damaged record
      expect(counts.size).toBe(s.totalLogs) // no duplicates
      for (const k of counts.keys()) expect(k).toBeLessThan(attempted)
      expect(s.bytesWritten).toBe(bytes)
    })
  }
})
