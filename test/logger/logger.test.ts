// Every Logger API through the built package: log, logBytes, logBatch, flush, close, stats,
// flush metrics, 'sealed' events, and reading both formats back.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { Logger, readLogFile, readLogFileSync, type LoggerOptions } from '../../dist/index.js'
import { tempDirs } from '../temp-dirs.js'
import { binaryRecord, expectExactlyOnce, range, readDir, sealedPattern, textRecord } from './helpers.js'

const { dir } = tempDirs('logferry-js-')

const small = { preallocateFileSize: 0 } satisfies Partial<LoggerOptions>

describe('Logger basics', () => {
  it('log, logBytes and logBatch write text records that read back in order', async () => {
    const d = dir()
    const path = join(d, 'app.log')
    const l = new Logger({ logFilePath: path, numShards: 1, ...small })
    expect(l.path).toBe(path)
    expect(l.format).toBe('text')
    l.log('first')
    l.log('second\n') // a trailing newline is not doubled
    expect(l.logBytes(Buffer.from('third'))).toBe(true)
    expect(l.logBytes(new TextEncoder().encode('fourth'))).toBe(true)
    expect(l.logBatch(['fifth', 'sixth', Buffer.from('seventh')])).toEqual({ accepted: 3, dropped: 0 })
    expect(l.logBatch([])).toEqual({ accepted: 0, dropped: 0 })
    l.log('héllo wörld ✓ 🚀')
    await l.close()
    const { files, records } = readDir(d)
    expect(files).toHaveLength(1)
    expect(basename(files[0]!)).toMatch(sealedPattern('app'))
    expect(records.map((r) => r.toString())).toEqual([
      'first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'héllo wörld ✓ 🚀',
    ])
    // The text file is exactly the records, one per line.
    expect(readFileSync(files[0]!, 'utf8')).toBe('first\nsecond\nthird\nfourth\nfifth\nsixth\nseventh\nhéllo wörld ✓ 🚀\n')
    expect(readLogFileSync(files[0]!).format).toBe('text')
  })

  it('flush() and flushSync() make records visible in the live file before close', async () => {
    const d = dir()
    const path = join(d, 'live.log')
    const l = new Logger({ logFilePath: path, flushInterval: 2 ** 31, ...small })
    l.log('a')
    l.logBatch(['b', 'c'])
    await l.flush()
    expect(readLogFileSync(path).records.map(String)).toEqual(['a', 'b', 'c'])
    const before = l.getStats().flushes
    expect(before).toBeGreaterThanOrEqual(1)
    l.log('d')
    l.flushSync()
    expect(readLogFileSync(path).records.map(String)).toEqual(['a', 'b', 'c', 'd'])
    expect(l.getStats().flushes).toBeGreaterThan(before)
    await l.close()
    expect(existsSync(path)).toBe(false) // sealed under its timestamped name
  })

  it('close and closeSync are idempotent and mark the logger closed', async () => {
    const d = dir()
    const a = new Logger({ logFilePath: join(d, 'a.log'), ...small })
    a.log('x')
    expect(a.closed).toBe(false)
    await a.close()
    expect(a.closed).toBe(true)
    await a.close()
    a.closeSync()
    const b = new Logger({ logFilePath: join(d, 'b.log'), ...small })
    b.log('y')
    b.closeSync()
    b.closeSync()
    await b.close()
    expect(b.closed).toBe(true)
    const { records } = readDir(d)
    expect(records.map(String).sort()).toEqual(['x', 'y'])
  })

  it('concurrent close() calls settle and write everything once', async () => {
    const d = dir()
    const l = new Logger({ logFilePath: join(d, 'c.log'), ...small })
    for (const id of range(0, 1000)) l.log(textRecord(id))
    await Promise.all([l.close(), l.close(), l.close()])
    expectExactlyOnce(readDir(d).records, range(0, 1000))
  })

  it('getStats counts records, bytes, flushes and rotations exactly', async () => {
    const d = dir()
    const l = new Logger({ logFilePath: join(d, 's.log'), ...small })
    const s0 = l.getStats()
    expect(s0).toEqual({ totalLogs: 0, droppedLogs: 0, bytesWritten: 0, flushes: 0, flushErrors: 0, rotations: 0 })
    for (let i = 0; i < 10; i++) l.log(`r${i}`)
    l.logBytes(Buffer.from('bytes'))
    l.logBatch(['b1', 'b2'])
    // Pending log() records are counted by getStats (it drains the JS queue first).
    expect(l.getStats().totalLogs).toBe(13)
    await l.close()
    const s = l.getStats()
    const { bytes, files } = readDir(d)
    expect(s.totalLogs).toBe(13)
    expect(s.droppedLogs).toBe(0)
    expect(s.flushErrors).toBe(0)
    expect(s.flushes).toBeGreaterThanOrEqual(1)
    expect(s.bytesWritten).toBe(bytes)
    expect(s.bytesWritten).toBe(10 * 3 + 6 + 3 + 3)
    expect(files).toHaveLength(1)
  })

  it('getFlushMetrics reports flushes and durations', async () => {
    const d = dir()
    const l = new Logger({ logFilePath: join(d, 'm.log'), ...small })
    const m0 = l.getFlushMetrics()
    expect(m0.flushes).toBe(0)
    for (const k of ['avgFlushDuration', 'maxFlushDuration', 'avgWriteDuration', 'writePercent', 'avgPwritevDuration', 'pwritevPercent'] as const) {
      expect(typeof m0[k]).toBe('number')
    }
    for (const id of range(0, 5000)) l.log(textRecord(id))
    await l.flush()
    l.log('more')
    await l.flush()
    const m = l.getFlushMetrics()
    expect(m.flushes).toBeGreaterThanOrEqual(2)
    expect(m.flushes).toBe(l.getStats().flushes)
    expect(m.maxFlushDuration).toBeGreaterThan(0)
    expect(m.avgFlushDuration).toBeGreaterThan(0)
    expect(m.maxFlushDuration).toBeGreaterThanOrEqual(m.avgFlushDuration)
    expect(m.writePercent).toBeGreaterThanOrEqual(0)
    expect(m.writePercent).toBeLessThanOrEqual(100.0001)
    expect(m.pwritevPercent).toBeGreaterThanOrEqual(0)
    expect(m.pwritevPercent).toBeLessThanOrEqual(100.0001)
    await l.close()
  })
})

describe("'sealed' events", () => {
  for (const format of ['text', 'framed'] as const) {
    it(`rotation with a small maxFileSize seals unique files (${format})`, async () => {
      const d = dir()
      const l = new Logger({
        logFilePath: join(d, 'rot.log'), format, maxFileSize: 16 * 1024, bufferSize: 32 * 1024, numShards: 2, ...small,
      })
      const sealed: string[] = []
      l.on('sealed', (p) => sealed.push(p))
      const ids = range(0, 20_000)
      for (const id of ids) l.log(textRecord(id))
      await l.flush()
      const beforeClose = sealed.length
      expect(beforeClose).toBeGreaterThan(3) // rotated files are announced before close
      await l.close()
      expect(sealed.length).toBeGreaterThan(beforeClose) // the last file is sealed on close
      expect(new Set(sealed).size).toBe(sealed.length)
      for (const p of sealed) {
        expect(p.startsWith(d)).toBe(true)
        expect(basename(p)).toMatch(sealedPattern('rot'))
      }
      const { files, records, bytes } = readDir(d)
      expect([...sealed].sort()).toEqual(files)
      expect(existsSync(join(d, 'rot.log'))).toBe(false)
      expectExactlyOnce(records, ids)
      const s = l.getStats()
      expect(s.totalLogs).toBe(ids.length)
      expect(s.bytesWritten).toBe(bytes)
      expect([s.rotations, s.rotations + 1]).toContain(files.length)
      for (const f of files) expect(readLogFileSync(f).format).toBe(format)
    })
  }

  it('rotated files are pushed to listeners without flush() or close()', async () => {
    const d = dir()
    const l = new Logger({ logFilePath: join(d, 'push.log'), maxFileSize: 8192, bufferSize: 16 * 1024, numShards: 1, flushInterval: 5, ...small })
    const sealed: string[] = []
    l.on('sealed', (p) => sealed.push(p))
    for (const id of range(0, 3000)) l.log(textRecord(id))
    // Nothing here asks the engine for its sealed files: they must arrive on their own.
    await vi.waitFor(() => expect(sealed.length).toBeGreaterThan(2), { timeout: 10_000, interval: 20 })
    for (const p of sealed) expect(existsSync(p)).toBe(true)
    const pushed = sealed.length
    l.log(textRecord(3000))
    await l.close()
    expect(sealed.length).toBeGreaterThan(pushed) // the last file, sealed by close, is delivered by then
    expect(new Set(sealed).size).toBe(sealed.length)
    const { files, records } = readDir(d)
    expect([...sealed].sort()).toEqual(files)
    expectExactlyOnce(records, range(0, 3001))
  })

  it('closeSync seals the file and emits the event synchronously', () => {
    const d = dir()
    const l = new Logger({ logFilePath: join(d, 'one.log'), ...small })
    const sealed: string[] = []
    l.on('sealed', (p) => sealed.push(p))
    l.log('only')
    l.closeSync()
    expect(sealed).toHaveLength(1)
    expect(readdirSync(d).map((f) => join(d, f))).toEqual(sealed)
  })
})

describe('opening', () => {
  it('a file left at the path (crash) is sealed as it is and announced; nothing is appended to it', async () => {
    const d = dir()
    const path = join(d, 'crash.log')
    writeFileSync(path, 'left-1\nleft-2\n')
    const l = new Logger({ logFilePath: path, ...small })
    const sealed: string[] = []
    l.on('sealed', (p) => sealed.push(p))
    l.log('new-1')
    await l.close()
    expect(sealed).toHaveLength(2)
    expect(new Set(sealed).size).toBe(2)
    const contents = sealed.map((p) => readLogFileSync(p).records.map(String))
    expect(contents).toContainEqual(['left-1', 'left-2'])
    expect(contents).toContainEqual(['new-1'])
    expect([...sealed].sort()).toEqual(readDir(d).files)
  })

  it('two Loggers on one path in one thread share the engine; each sees every sealed file', async () => {
    const d = dir()
    const opts = { logFilePath: join(d, 'two.log'), maxFileSize: 8192, bufferSize: 16 * 1024, numShards: 1, ...small }
    const a = new Logger(opts)
    const b = new Logger(opts)
    const sa: string[] = []
    const sb: string[] = []
    a.on('sealed', (p) => sa.push(p))
    b.on('sealed', (p) => sb.push(p))
    for (const id of range(0, 3000)) (id % 2 ? a : b).log(textRecord(id))
    await a.flush()
    await b.flush()
    expect(a.getStats().totalLogs).toBe(3000)
    expect(b.getStats().totalLogs).toBe(3000)
    const rotated = a.getStats().rotations
    expect(rotated).toBeGreaterThan(2)
    await a.close() // releases a's handle only
    expect(b.closed).toBe(false)
    b.log(textRecord(3000))
    await b.close()
    const { files, records } = readDir(d)
    expectExactlyOnce(records, range(0, 3001))
    expect([...sb].sort()).toEqual(files) // b was open to the end: every file
    expect(sa.length).toBeGreaterThanOrEqual(rotated) // a saw every file sealed while it was open
    for (const p of sa) expect(files).toContain(p)
  })
})

describe('readLogFile / readLogFileSync', () => {
  it('reads framed binary records containing \\n and \\0 intact, async and sync', async () => {
    const d = dir()
    const l = new Logger({ logFilePath: join(d, 'bin.log'), format: 'framed', ...small })
    expect(l.format).toBe('framed')
    const ids = range(0, 3000)
    for (const id of ids.slice(0, 1000)) expect(l.logBytes(binaryRecord(id))).toBe(true)
    expect(l.logBatch(ids.slice(1000, 2000).map(binaryRecord))).toEqual({ accepted: 1000, dropped: 0 })
    // mixed batch: strings and bytes
    const mixed = ids.slice(2000, 3000).map((id) => (id % 2 === 0 ? textRecord(id) : binaryRecord(id)))
    expect(l.logBatch(mixed)).toEqual({ accepted: 1000, dropped: 0 })
    l.logBytes(new Uint8Array(0))
    l.log('line\nwith\nnewlines\0and nul')
    await l.close()
    const { files } = readDir(d)
    expect(files).toHaveLength(1)
    const sync = readLogFileSync(files[0]!)
    expect(sync.format).toBe('framed')
    expect(sync.tornTail).toBeUndefined()
    const viaAsync: Buffer[] = []
    for await (const r of readLogFile(files[0]!)) {
      expect(Buffer.isBuffer(r)).toBe(true)
      viaAsync.push(r)
    }
    expect(viaAsync).toHaveLength(sync.records.length)
    viaAsync.forEach((r, i) => expect(r.equals(sync.records[i]!)).toBe(true))
    expect(sync.records).toHaveLength(3002)
    // order within one thread is preserved
    sync.records.slice(0, 3000).forEach((r, i) => {
      expect(r.equals(i >= 2000 && i % 2 === 0 ? Buffer.from(textRecord(i)) : binaryRecord(i))).toBe(true)
    })
    expect(sync.records[3000]!.length).toBe(0)
    expect(sync.records[3001]!.toString()).toBe('line\nwith\nnewlines\0and nul')
  })

  it('reads text files async and sync, each record without its newline', async () => {
    const d = dir()
    const l = new Logger({ logFilePath: join(d, 't.log'), format: 'text', ...small })
    const ids = range(0, 2000)
    l.logBatch(ids.slice(0, 1000).map((id) => textRecord(id)))
    for (const id of ids.slice(1000)) l.log(textRecord(id))
    await l.close()
    const [f] = readDir(d).files
    const sync = readLogFileSync(f!)
    expect(sync.format).toBe('text')
    const viaAsync: Buffer[] = []
    for await (const r of readLogFile(f!)) viaAsync.push(r)
    expect(viaAsync.map(String)).toEqual(sync.records.map(String))
    expect(sync.records.map(String)).toEqual(ids.map((id) => textRecord(id)))
  })

  it('rejects a missing file with ERR_IO and a corrupt framed file with ERR_CORRUPT', async () => {
    const d = dir()
    expect(() => readLogFileSync(join(d, 'nope.log'))).toThrow(expect.objectContaining({ code: 'ERR_IO' }))
    await expect(readLogFile(join(d, 'nope.log')).next()).rejects.toMatchObject({ code: 'ERR_IO' })
    const l = new Logger({ logFilePath: join(d, 'corrupt.log'), format: 'framed', numShards: 1, ...small })
    // 50 records of at most 54 bytes fit one 4096-byte block
    for (const id of range(0, 50)) l.logBytes(binaryRecord(id))
    await l.flush() // first block
    for (const id of range(50, 100)) l.logBytes(binaryRecord(id))
    await l.close() // second block
    const [f] = readDir(d).files
    const good = readFileSync(f!)
    expect(good.subarray(0, 4).toString()).toBe('LFB1')
    expect(good.length).toBe(8192)
    expectExactlyOnce(readLogFileSync(f!).records, range(0, 100))
    // A damaged payload in the last block reads as a torn tail (a write cut short)...
    const lastBad = Buffer.from(good)
    lastBad[4096 + 40]! ^= 0xff
    writeFileSync(f!, lastBad)
    const torn = readLogFileSync(f!)
    expect(torn.tornTail).toBe(4096)
    expectExactlyOnce(torn.records, range(0, 50))
    // ...and in an earlier block it is corruption.
    const firstBad = Buffer.from(good)
    firstBad[40]! ^= 0xff
    writeFileSync(f!, firstBad)
    expect(() => readLogFileSync(f!)).toThrow(expect.objectContaining({ code: 'ERR_CORRUPT' }))
    await expect(readLogFile(f!).next()).rejects.toMatchObject({ code: 'ERR_CORRUPT' })
  })
})
