// LoggerManager: one file per event, sanitised names, lazy creation, aggregated stats.
import { existsSync, readdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LoggerManager } from '../../dist/index.js'
import { tempDirs } from '../temp-dirs.js'
import { binaryRecord, expectExactlyOnce, range, readDir, sealedPattern, textRecord } from './helpers.js'

const { dir } = tempDirs('logferry-js-')

describe('LoggerManager', () => {
  it('writes one file per event, live at {dir}/{event}.log and sealed as {event}_{timestamp}.log', async () => {
    const d = dir()
    const sealed: [string, string][] = []
    const m = new LoggerManager({ logFilePath: join(d, 'app.log'), preallocateFileSize: 0 }, (e, p) => sealed.push([e, p]))
    expect(m.listEventLoggers()).toEqual([])
    expect(m.hasEventLogger('payment')).toBe(false)
    m.logWithEvent('payment', 'p1')
    m.logWithEvent('payment', 'p2')
    expect(m.logBytesWithEvent('login', Buffer.from('l1'))).toBe(true)
    m.logWithEvent('payment/order', 'o1')
    m.initializeEventLogger('audit')
    expect(m.hasEventLogger('payment')).toBe(true)
    expect(m.hasEventLogger('payment/order')).toBe(true)
    expect(m.hasEventLogger('payment_order')).toBe(true) // same sanitised name
    expect(m.hasEventLogger('audit')).toBe(true)
    expect(m.hasEventLogger('nothing')).toBe(false)
    expect(m.listEventLoggers()).toEqual(['audit', 'login', 'payment', 'payment_order'])
    await m.flush()
    for (const e of ['payment', 'login', 'payment_order']) expect(existsSync(join(d, `${e}.log`))).toBe(true)
    expect(existsSync(join(d, 'app.log'))).toBe(false) // the base path itself is not written
    await m.close()
    const names = readdirSync(d).sort()
    expect(names).toHaveLength(3) // audit never wrote anything: no file
    const byEvent = new Map<string, string>()
    for (const ev of ['login', 'payment', 'payment_order']) {
      const f = names.find((n) => sealedPattern(ev).test(n))
      expect(f, `sealed file of ${ev} in ${names.join(', ')}`).toBeDefined()
      byEvent.set(ev, f!)
    }
    expect(readDir(d).records.length).toBe(4)
    const { readLogFileSync } = await import('../../dist/index.js')
    expect(readLogFileSync(join(d, byEvent.get('payment')!)).records.map(String)).toEqual(['p1', 'p2'])
    expect(readLogFileSync(join(d, byEvent.get('login')!)).records.map(String)).toEqual(['l1'])
    expect(readLogFileSync(join(d, byEvent.get('payment_order')!)).records.map(String)).toEqual(['o1'])
    expect(sealed.map(([e, p]) => [e, basename(p)]).sort()).toEqual(
      [...byEvent.entries()].sort(),
    )
  })

  it('sanitises names with separators, spaces and control characters', async () => {
    const d = dir()
    const m = new LoggerManager({ logFilePath: join(d, 'app.log'), preallocateFileSize: 0 })
    m.logWithEvent('a b:c*d?e"f<g>h|i\\j', 'x')
    m.logWithEvent('tab\tnl\n', 'y')
    m.logWithEvent('..', 'z')
    expect(m.listEventLoggers()).toEqual(['__', 'a_b_c_d_e_f_g_h_i_j', 'tab_nl_'])
    await m.close()
    expect(readDir(d).files.map((f) => basename(f).replace(/_\d{4}-.*$/, '')).sort()).toEqual(['__', 'a_b_c_d_e_f_g_h_i_j', 'tab_nl_'])
  })

  it('closeEventLogger seals one event and a later write opens a new file', async () => {
    const d = dir()
    const m = new LoggerManager({ logFilePath: join(d, 'app.log'), preallocateFileSize: 0 })
    m.logWithEvent('a', 'a1')
    m.logWithEvent('b', 'b1')
    expect(await m.closeEventLogger('a')).toBe(true)
    expect(await m.closeEventLogger('a')).toBe(false)
    expect(await m.closeEventLogger('never')).toBe(false)
    expect(m.hasEventLogger('a')).toBe(false)
    expect(m.listEventLoggers()).toEqual(['b'])
    expect(existsSync(join(d, 'a.log'))).toBe(false)
    expect(readdirSync(d).filter((n) => sealedPattern('a').test(n))).toHaveLength(1)
    m.logWithEvent('a', 'a2') // reopens
    expect(m.listEventLoggers()).toEqual(['a', 'b'])
    const st = m.getAggregatedStats()
    expect(st.totalLogs).toBe(3) // retired logger's counts are kept
    await m.close()
    await m.close() // idempotent
    const aFiles = readdirSync(d).filter((n) => sealedPattern('a').test(n))
    expect(aFiles).toHaveLength(2)
    expect(readDir(d).records.map(String).sort()).toEqual(['a1', 'a2', 'b1'])
    expect(m.getAggregatedStats().totalLogs).toBe(3)
  })

  it('aggregated stats and flush metrics add up over events, with exact ids', async () => {
    const d = dir()
    const m = new LoggerManager({ logFilePath: join(d, 'app.log'), format: 'framed', preallocateFileSize: 0, maxFileSize: 64 * 1024, bufferSize: 64 * 1024, numShards: 2 })
    const events = ['e0', 'e1', 'e2', 'e3']
    const N = 8000
    for (const id of range(0, N)) {
      const ev = events[id % 4]!
      if (id % 2 === 0) m.logWithEvent(ev, textRecord(id))
      else expect(m.logBytesWithEvent(ev, binaryRecord(id))).toBe(true)
    }
    await m.flush()
    const live = m.getAggregatedStats()
    expect(live.totalLogs).toBe(N)
    const fm = m.getAggregatedFlushMetrics()
    expect(fm.flushes).toBeGreaterThanOrEqual(4)
    expect(fm.maxFlushDuration).toBeGreaterThan(0)
    expect(fm.maxFlushDuration).toBeGreaterThanOrEqual(fm.avgFlushDuration)
    await m.closeEventLogger('e0')
    await m.close()
    const s = m.getAggregatedStats()
    const { records, bytes } = readDir(d)
    expectExactlyOnce(records, range(0, N))
    expect(s.totalLogs).toBe(N)
    expect(s.droppedLogs).toBe(0)
    expect(s.bytesWritten).toBe(bytes)
    expect(m.getAggregatedFlushMetrics().flushes).toBeGreaterThanOrEqual(fm.flushes)
    for (const ev of events) {
      const mine = readDir(d).files.filter((f) => sealedPattern(ev).test(basename(f)))
      expect(mine.length).toBeGreaterThanOrEqual(1)
    }
  })
})
