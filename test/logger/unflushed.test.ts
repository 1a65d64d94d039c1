// A disk that stays full: flush() and close() give up after flushTimeout with ERR_UNFLUSHED and
// the number of bytes not written, and the accepted records not written are reported as such,
// never counted as written (README error table, docs/engine.md "Failed writes"). The disk is a
// small tmpfs (mounting needs root, which CI has: with CI set a failed mount fails the test).
// tmpfs takes O_DIRECT on current kernels, so the text layout's partial last block (kept in
// memory between batches) is part of what must be counted right when the disk stays full.
import { execFileSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Logger, readLogFileSync, type LogferryError } from '../../dist/index.js'
import { inCI } from '../servers/ci.js'
import { recordId, removeDir, tempDir, textRecord } from './helpers.js'

const mounts: string[] = []
const dirs: string[] = []
afterAll(() => {
  for (const m of mounts) execFileSync('umount', ['-l', m], { stdio: 'ignore' })
  dirs.forEach(removeDir)
})

/** A fresh tmpfs of `size` mounted on a new directory, or why it could not be mounted. */
function smallDisk(size: string): { dir?: string; why?: string } {
  const dir = tempDir('logferry-full-')
  dirs.push(dir)
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' })
  } catch (err) {
    return { why: `cannot mount a tmpfs (not root?): ${(err as Error).message.split('\n')[0]}` }
  }
  mounts.push(dir)
  return { dir }
}

const disk = smallDisk('256k')
if (disk.why) {
  if (inCI) throw new Error(`CI must be able to mount a tmpfs for the ERR_UNFLUSHED test: ${disk.why}`)
  console.warn(`!!! ERR_UNFLUSHED test NOT RUN: ${disk.why}`)
}

/** The `N` of "N bytes could not be written ...". */
function unflushedBytes(err: LogferryError): number {
  const m = /^(\d+) bytes /.exec(err.message)
  if (!m) throw new Error(`no byte count in ${JSON.stringify(err.message)}`)
  return Number(m[1])
}

describe.skipIf(disk.dir === undefined)('a disk that stays full', () => {
  it('flush() and close() report ERR_UNFLUSHED after flushTimeout with the bytes not written; accounting stays exact', async () => {
    const dir = disk.dir!
    const flushTimeout = 1000
    // 'drop': the JS thread never blocks on the full disk, and logBytes says which records were accepted.
    const l = new Logger({
      logFilePath: join(dir, 'app.log'), format: 'text', onFull: 'drop', bufferSize: 64 * 1024, numShards: 1,
      preallocateFileSize: 0, maxFileSize: 64 << 20, flushInterval: 10, flushTimeout,
    })
    try {
      const accepted = new Set<number>()
      let acceptedBytes = 0
      let attempted = 0
      // ~600 KB offered in rounds (the flusher gets time to fill the disk), the disk holds 256 KiB.
      for (let id = 0; id < 8000; id++) {
        const rec = Buffer.from(textRecord(id))
        attempted++
        if (l.logBytes(rec)) {
          accepted.add(id)
          acceptedBytes += rec.length + 1 // text: one line each
        }
        if (id % 500 === 499) await new Promise((r) => setTimeout(r, 5))
      }
      expect(accepted.size).toBeGreaterThan(0)

      // flush(): the failing write is still retried; it gives up waiting after flushTimeout.
      const t0 = performance.now()
      const flushErr = (await l.flush().then(() => undefined, (e: unknown) => e)) as LogferryError | undefined
      expect(performance.now() - t0).toBeGreaterThanOrEqual(flushTimeout - 50)
      expect(flushErr).toMatchObject({ code: 'ERR_UNFLUSHED' })
      const s1 = l.getStats()
      expect(s1.flushErrors).toBeGreaterThan(0)
      // Queued, being retried and still in the active buffer: all of what is not in the file.
      expect(unflushedBytes(flushErr!)).toBeGreaterThan(0)
      expect(unflushedBytes(flushErr!)).toBe(acceptedBytes - s1.bytesWritten)

      // close(): retries for flushTimeout, then gives up and reports what it could not write.
      const t1 = performance.now()
      const closeErr = (await l.close().then(() => undefined, (e: unknown) => e)) as LogferryError | undefined
      expect(performance.now() - t1).toBeGreaterThanOrEqual(flushTimeout - 50)
      expect(closeErr).toMatchObject({ code: 'ERR_UNFLUSHED', message: expect.stringMatching(/No space left on device/) })
      const notWritten = unflushedBytes(closeErr!)
      const s = l.getStats()
      // Every accepted record is either written or reported unwritten, never counted twice or lost
      // from the books: accepted stays accepted, bytesWritten covers only what reached the file.
      expect(s.totalLogs).toBe(accepted.size)
      expect(s.totalLogs + s.droppedLogs).toBe(attempted)
      expect(notWritten).toBeGreaterThan(0)
      expect(s.bytesWritten + notWritten).toBe(acceptedBytes)
      expect(s.flushErrors).toBeGreaterThan(s1.flushErrors)
      // The file holds exactly the bytes counted as written (a write cut short by the full disk is
      // rolled back; a record it could not finish is cut off and counted as not written).
      const files = readdirSync(dir)
      expect(files).toHaveLength(1)
      const file = join(dir, files[0]!)
      expect(statSync(file).size).toBe(s.bytesWritten)
      // Read back: every line is a whole accepted record (recordId checks its content), each
      // at most once and in the order logged (one shard), no torn last line, and the records
      // account for every byte of the file.
      const { records, tornTail, format } = readLogFileSync(file)
      expect(format).toBe('text')
      expect(tornTail).toBeUndefined()
      expect(records.length).toBeGreaterThan(0)
      let last = -1
      let bytesInRecords = 0
      for (const rec of records) {
        const id = recordId(rec)
        expect(accepted.has(id)).toBe(true)
        expect(id).toBeGreaterThan(last) // in order, hence also never twice
        last = id
        bytesInRecords += rec.length + 1
      }
      expect(bytesInRecords).toBe(s.bytesWritten)
    } finally {
      await l.close().catch(() => undefined) // idempotent: a failed assertion leaves no open logger
    }
  })
})
