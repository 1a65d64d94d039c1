// Bad input: invalid config, wrong argument types, oversized records, bad event names, use
// after close and an unwritable path, each with its stable code.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LogferryError, Logger, LoggerManager, type LoggerOptions } from '../../dist/index.js'
import { tempDirs } from '../temp-dirs.js'
import { readDir } from './helpers.js'

const { dir } = tempDirs('logferry-js-')

function thrown(f: () => unknown): Error & { code?: string } {
  try {
    f()
  } catch (e) {
    return e as Error & { code?: string }
  }
  throw new Error('expected a throw')
}

describe('invalid config', () => {
  const cases: [string, Record<string, unknown>, typeof RangeError | typeof TypeError, RegExp][] = [
    ['numShards 0', { numShards: 0 }, RangeError, /numShards/],
    ['numShards 1.5', { numShards: 1.5 }, RangeError, /numShards/],
    ['bufferSize "x"', { bufferSize: 'x' }, TypeError, /bufferSize/],
    ['bufferSize too small', { bufferSize: 100 }, RangeError, /bufferSize/],
    ['maxFileSize negative', { maxFileSize: -1 }, RangeError, /maxFileSize/],
    ['flushInterval NaN', { flushInterval: Number.NaN }, RangeError, /flushInterval/],
    ["format 'xml'", { format: 'xml' }, RangeError, /format/],
    ['format 1', { format: 1 }, TypeError, /format/],
    ["shardSelection 'random'", { shardSelection: 'random' }, RangeError, /shardSelection/],
    ["onFull 'wait'", { onFull: 'wait' }, RangeError, /onFull/],
    ["directIo 'yes'", { directIo: 'yes' }, TypeError, /directIo/],
    ['unknown key', { bufferSzie: 4096 }, RangeError, /bufferSzie/],
  ]
  for (const [name, extra, ctor, msg] of cases) {
    it(`${name} -> ${ctor.name} ERR_INVALID_CONFIG (Logger and LoggerManager)`, () => {
      const d = dir()
      const opts = { logFilePath: join(d, 'x.log'), ...extra } as unknown as LoggerOptions
      const e = thrown(() => new Logger(opts))
      expect(e).toBeInstanceOf(ctor)
      expect(e.code).toBe('ERR_INVALID_CONFIG')
      expect(e.message).toMatch(msg)
      const m = thrown(() => new LoggerManager(opts))
      expect(m).toBeInstanceOf(ctor)
      expect(m.code).toBe('ERR_INVALID_CONFIG')
      expect(readDir(d).files).toEqual([]) // nothing created
    })
  }

  it('missing options or logFilePath -> TypeError ERR_INVALID_CONFIG', () => {
    for (const o of [undefined, null, 'path', {}, { logFilePath: '' }, { logFilePath: 5 }]) {
      const e = thrown(() => new Logger(o as unknown as LoggerOptions))
      expect(e).toBeInstanceOf(TypeError)
      expect(e.code).toBe('ERR_INVALID_CONFIG')
    }
  })

  it('a shard buffer too large for the engine -> RangeError ERR_INVALID_CONFIG', () => {
    const d = dir()
    const e = thrown(() => new Logger({ logFilePath: join(d, 'big.log'), bufferSize: 2 ** 40, numShards: 1 }))
    expect(e).toBeInstanceOf(RangeError)
    expect(e.code).toBe('ERR_INVALID_CONFIG')
  })
})

describe('invalid arguments', () => {
  it('log(123), logBytes("s"), logBatch(non-array / bad element) -> ERR_INVALID_ARG', async () => {
    const d = dir()
    const l = new Logger({ logFilePath: join(d, 'a.log'), preallocateFileSize: 0 })
    const cases: (() => unknown)[] = [
      () => l.log(123 as unknown as string),
      () => l.log(undefined as unknown as string),
      () => l.log({} as unknown as string),
      () => l.logBytes('s' as unknown as Uint8Array),
      () => l.logBytes([1, 2] as unknown as Uint8Array),
      () => l.logBatch('abc' as unknown as string[]),
      () => l.logBatch(['ok', 5 as unknown as string]),
    ]
    for (const f of cases) {
      const e = thrown(f)
      expect(e).toBeInstanceOf(LogferryError)
      expect(e.code).toBe('ERR_INVALID_ARG')
    }
    l.log('still works')
    await l.close()
    expect(readDir(d).records.map(String)).toEqual(['still works'])
  })
})

describe('oversized records', () => {
  for (const format of ['text', 'framed'] as const) {
    it(`a record above maxRecordSize -> ERR_RECORD_TOO_LARGE; neighbours are written (${format})`, async () => {
      const d = dir()
      const l = new Logger({ logFilePath: join(d, 'big.log'), format, bufferSize: 64 * 1024, numShards: 4, preallocateFileSize: 0 })
      const max = l.maxRecordSize
      expect(max).toBeGreaterThan(1000)
      expect(max).toBeLessThan(16 * 1024 + 1)
      const big = 'y'.repeat(max + 1)
      l.log('before-1')
      expect(l.logBytes(Buffer.from('before-2'))).toBe(true)
      for (const f of [
        () => l.log(big),
        () => l.logBytes(Buffer.alloc(max + 1, 0x41)),
        () => l.logBatch([big]),
        () => l.logBatch([Buffer.alloc(max + 100)]),
      ]) {
        const e = thrown(f)
        expect(e).toBeInstanceOf(LogferryError)
        expect(e.code).toBe('ERR_RECORD_TOO_LARGE')
      }
      // Multi-byte characters: the limit is in UTF-8 bytes, not characters.
      const e = thrown(() => l.log('é'.repeat(Math.ceil((max + 1) / 2))))
      expect(e.code).toBe('ERR_RECORD_TOO_LARGE')
      l.log('after-1')
      expect(l.logBytes(Buffer.from('after-2'))).toBe(true)
      // exactly at the limit is accepted
      const atLimit = 'z'.repeat(format === 'text' ? max - 1 : max)
      l.log(atLimit)
      await l.close()
      const got = readDir(d).records.map(String)
      expect(got).toEqual(['before-1', 'before-2', 'after-1', 'after-2', atLimit])
      expect(l.getStats().totalLogs).toBe(5)
    })
  }
})

describe('event names, closed loggers, unwritable paths', () => {
  it('empty event name -> ERR_INVALID_EVENT_NAME', async () => {
    const d = dir()
    const m = new LoggerManager({ logFilePath: join(d, 'app.log'), preallocateFileSize: 0 })
    for (const f of [
      () => m.logWithEvent('', 'x'),
      () => m.logBytesWithEvent('', Buffer.from('x')),
      () => m.initializeEventLogger(''),
      () => m.logWithEvent(42 as unknown as string, 'x'),
    ]) {
      const e = thrown(f)
      expect(e).toBeInstanceOf(LogferryError)
      expect(e.code).toBe('ERR_INVALID_EVENT_NAME')
    }
    await expect(m.closeEventLogger('')).rejects.toMatchObject({ code: 'ERR_INVALID_EVENT_NAME' })
    expect(m.hasEventLogger('')).toBe(false)
    expect(m.listEventLoggers()).toEqual([])
    await m.close()
    expect(readDir(d).files).toEqual([])
  })

  it('use after close -> ERR_LOGGER_CLOSED (Logger and LoggerManager)', async () => {
    const d = dir()
    const l = new Logger({ logFilePath: join(d, 'c.log'), preallocateFileSize: 0 })
    l.log('x')
    await l.close()
    for (const f of [
      () => l.log('y'),
      () => l.logBytes(Buffer.from('y')),
      () => l.logBatch(['y']),
      () => l.flushSync(),
    ]) {
      const e = thrown(f)
      expect(e).toBeInstanceOf(LogferryError)
      expect(e.code).toBe('ERR_LOGGER_CLOSED')
    }
    await expect(l.flush()).rejects.toMatchObject({ code: 'ERR_LOGGER_CLOSED' })
    expect(l.getStats().totalLogs).toBe(1) // stats stay readable
    const m = new LoggerManager({ logFilePath: join(d, 'm', 'app.log'), preallocateFileSize: 0 })
    m.logWithEvent('e', 'x')
    await m.close()
    for (const f of [() => m.logWithEvent('e', 'y'), () => m.logBytesWithEvent('e', Buffer.from('y')), () => m.initializeEventLogger('f')]) {
      expect(thrown(f).code).toBe('ERR_LOGGER_CLOSED')
    }
    expect(readDir(d).records.map(String)).toEqual(['x'])
    expect(readDir(join(d, 'm')).records.map(String)).toEqual(['x'])
  })

  it('unwritable path (parent is a regular file) -> ERR_IO', () => {
    const d = dir()
    writeFileSync(join(d, 'file'), 'not a directory')
    const e = thrown(() => new Logger({ logFilePath: join(d, 'file', 'app.log') }))
    expect(e).toBeInstanceOf(LogferryError)
    expect(e.code).toBe('ERR_IO')
    const e2 = thrown(() => new Logger({ logFilePath: join(d, 'file', 'sub', 'app.log') }))
    expect(e2.code).toBe('ERR_IO')
    // a directory at the path itself
    const e3 = thrown(() => new Logger({ logFilePath: d }))
    expect(e3.code).toBe('ERR_IO')
  })
})
