/**
 * bandwidthLimit: parsing (good and bad values) and the shared token bucket really slowing a
 * storage-method copy. Only a lower bound on the time is asserted (never an upper one).
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { filesystem } from '../../ts/storage/index.js'
import { parseBandwidth, transferFiles } from '../../ts/transfer/index.js'

const MiB = 1 << 20
let n = 0
const mem = (): ReturnType<typeof filesystem> => filesystem(`memory://bw-${process.pid}-${Date.now()}-${++n}`)

describe('bandwidthLimit', () => {
  it('parses byte and bit rates, decimal and binary units', () => {
    expect(parseBandwidth('50MB/s')).toBe(50e6)
    expect(parseBandwidth('512KiB/s')).toBe(512 * 1024)
    expect(parseBandwidth('1.5 GiB/s')).toBe(1.5 * 1024 ** 3)
    expect(parseBandwidth('100Mbit/s')).toBe(12.5e6)
    expect(parseBandwidth('800 kbit/s')).toBe(100e3)
    expect(parseBandwidth('2048')).toBe(2048)
    expect(parseBandwidth(4096)).toBe(4096)
    expect(parseBandwidth(undefined)).toBeUndefined()
  })

  it('rejects bad values with ERR_INVALID_ARG naming the value', async () => {
    for (const bad of ['fast', '50 parsecs/s', '-1MB/s', '0MB/s', '', 'MB/s', '5MB/h']) {
      expect(() => parseBandwidth(bad), bad).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG', name: 'RangeError' }))
      expect(() => parseBandwidth(bad)).toThrow(`'${bad}'`)
    }
    for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => parseBandwidth(bad), String(bad)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG', name: 'RangeError' }))
    }
    expect(() => parseBandwidth({})).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG', name: 'TypeError' }))
    const src = mem()
    await src.writeFile('a.log', 'a')
    await expect(transferFiles({ source: src, files: '*', target: mem(), bandwidthLimit: '10 furlongs/s' })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG',
      message: expect.stringContaining('bandwidthLimit'),
    })
  })

  it('slows a copy: 2 MiB over two concurrent files at 1 MiB/s total takes at least 1.5 s', async () => {
    const src = mem()
    const dst = mem()
    const a = randomBytes(MiB)
    const b = randomBytes(MiB)
    await src.writeFile('a.bin', a)
    await src.writeFile('b.bin', b)
    const t0 = performance.now()
    const r = await transferFiles({ source: src, files: '*.bin', target: dst, bandwidthLimit: '1MiB/s', concurrency: 2 })
    const seconds = (performance.now() - t0) / 1000
    expect(r.totals).toMatchObject({ copied: 2, bytes: 2 * MiB })
    expect(Buffer.compare(await dst.readFile('a.bin'), a)).toBe(0)
    expect(Buffer.compare(await dst.readFile('b.bin'), b)).toBe(0)
    // The limit is shared: two files at once do not get 1 MiB/s each.
    expect(seconds).toBeGreaterThanOrEqual(1.5)
  })
})
