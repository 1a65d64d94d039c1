// LoggerManager's buffer budget (maxBufferBytes): shares follow the number of open events,
// records of any allowed size still go through, one event too many is refused with
// ERR_BUFFER_BUDGET (nothing dropped, the others unaffected), and closing an event frees its share.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Logger, LoggerManager } from '../../dist/index.js'
import { tempDirs } from '../temp-dirs.js'
import { expectExactlyOnce, range, readDir, textRecord } from './helpers.js'

const { dir } = tempDirs('logferry-js-')

function codeOf(f: () => unknown): string | undefined {
  try {
    f()
  } catch (e) {
    return (e as { code?: string }).code
  }
  return 'no error'
}

describe('LoggerManager buffer budget', () => {
  it('keeps full buffers for up to 8 default events under the default 1 GiB, then shares it out', async () => {
    const m = new LoggerManager({ logFilePath: join(dir(), 'app.log'), preallocateFileSize: 0 })
    for (let i = 0; i < 8; i++) m.initializeEventLogger(`e${i}`)
    expect(m.bufferBudget).toEqual({ maxBufferBytes: 2 ** 30, events: 8, shardBufferLimit: 8 << 20, eventBufferBytes: 128 << 20 })
    for (let i = 8; i < 100; i++) m.initializeEventLogger(`e${i}`)
    const b = m.bufferBudget
    expect(b.events).toBe(100)
    // 1 GiB / 100 / 16 = 671 088 -> 667 648 (a multiple of 4096)
    expect(b.shardBufferLimit).toBe(667_648)
    expect(b.events * b.eventBufferBytes).toBeLessThanOrEqual(2 ** 30)
    // The largest record does not depend on the share.
    expect(m.eventLogger('e99').maxRecordSize).toBe((8 << 20) - 1)
    await m.close()
  })

  it('refuses one event too many with ERR_BUFFER_BUDGET, loses nothing, and admits it once another closes', async () => {
    const d = dir()
    const m = new LoggerManager({ logFilePath: join(d, 'app.log'), bufferSize: 8 << 20, maxBufferBytes: '16 MiB', preallocateFileSize: 0 })
    const events = range(0, 16).map((i) => `e${i}`)
    let id = 0
    const written: number[] = []
    for (const e of events) {
      m.logWithEvent(e, textRecord(id))
      written.push(id++)
    }
    expect(m.bufferBudget.shardBufferLimit).toBe(64 << 10)
    expect(codeOf(() => m.logWithEvent('late', textRecord(id)))).toBe('ERR_BUFFER_BUDGET')
    expect(codeOf(() => m.initializeEventLogger('late'))).toBe('ERR_BUFFER_BUDGET')
    expect(m.hasEventLogger('late')).toBe(false)
    expect(m.listEventLoggers()).toHaveLength(16)
    // A busy event past its 64 KiB share, and a record larger than the share, still go through.
    const big = 'x'.repeat(300 << 10)
    m.logWithEvent('e0', big)
    for (let i = 0; i < 3000; i++) {
      m.logWithEvent('e1', textRecord(id))
      written.push(id++)
    }
    expect(await m.closeEventLogger('e15')).toBe(true)
    expect(m.bufferBudget.events).toBe(15)
    m.logWithEvent('late', textRecord(id))
    written.push(id++)
    expect(m.bufferBudget.events).toBe(16)
    await m.close()
    const { records } = readDir(d)
    expect(records.filter((r) => r.length === big.length)).toHaveLength(1)
    expectExactlyOnce(records.filter((r) => r.length !== big.length), written)
  })

  it('validates maxBufferBytes with the options validator; a Logger does not take it', () => {
    const logFilePath = join(dir(), 'app.log')
    const err = (o: Record<string, unknown>): Error & { code?: string } => {
      try {
        new LoggerManager({ logFilePath, ...o })
      } catch (e) {
        return e as Error & { code?: string }
      }
      throw new Error('expected a throw')
    }
    const typo = err({ maxBufferByte: 1 << 30 })
    expect(typo.code).toBe('ERR_INVALID_CONFIG')
    expect(typo.message).toBe("unknown option 'maxBufferByte' (did you mean 'maxBufferBytes'?)")
    expect(err({ maxBufferBytes: 'lots' }).code).toBe('ERR_INVALID_CONFIG')
    expect(err({ maxBufferBytes: 0 }).code).toBe('ERR_INVALID_CONFIG')
    const small = err({ maxBufferBytes: '512 KiB' }) // one default event needs 2 x 8 x 64 KiB
    expect(small.code).toBe('ERR_INVALID_CONFIG')
    expect(small.message).toContain('maxBufferBytes must hold at least one event')
    expect(new LoggerManager({ logFilePath, maxBufferBytes: '1 MiB' }).bufferBudget.maxBufferBytes).toBe(1 << 20)
    expect(codeOf(() => new Logger({ logFilePath, maxBufferBytes: 1 } as never))).toBe('ERR_INVALID_CONFIG')
  })
})
