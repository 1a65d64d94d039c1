// One sealed-name format: the TypeScript helpers (uploader object names, log-manager retention)
// agree with the engine on the names it really seals, and reject names it never writes.
import { readdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sealedFilesOf } from '../../ts/log-manager/retention.js'
import { Logger } from '../../ts/logger.js'
import { isSealedSiblingOf, nameOfUnsealed, parseSealedName, utcStamp } from '../../ts/uploader/sealed-name.js'
import { range, removeDir, tempDir, textRecord } from './helpers.js'

const dirs: string[] = []
afterAll(() => dirs.forEach(removeDir))

/** Rotates `active` many times within a few seconds; resolves with the paths the engine announced. */
async function sealFiles(d: string, active: string): Promise<string[]> {
  const l = new Logger({ logFilePath: join(d, active), maxFileSize: 4096, bufferSize: 16 * 1024, numShards: 1, preallocateFileSize: 0 })
  const sealed: string[] = []
  l.on('sealed', (p) => sealed.push(p))
  for (const id of range(0, 4000)) l.log(textRecord(id))
  await l.close()
  return sealed
}

describe('names the engine really sealed', () => {
  // [active file name, stem and extension the engine keeps]
  const cases = [
    ['app.log', 'app', '.log'],
    ['app.v2.log', 'app.v2', '.log'],
    ['plain', 'plain', ''],
    ['.hidden', '.hidden', ''],
    ['x.my_log', 'x', '.my_log'],
    ['svc_2026-01-02_18-55-02.log', 'svc_2026-01-02_18-55-02', '.log'],
  ] as const
  for (const [active, stem, ext] of cases) {
    it(`${active}: every sealed file parses to stem '${stem}' and ext '${ext}', and only those are its siblings`, async () => {
      const d = tempDir()
      dirs.push(d)
      const before = Date.now()
      const sealed = await sealFiles(d, active)
      const after = Date.now()
      const onDisk = readdirSync(d).map((f) => join(d, f)).sort()
      expect([...sealed].sort()).toEqual(onDisk)
      // Rotations within one second get `_n` suffixes: more files than seconds elapsed.
      expect(sealed.length).toBeGreaterThan(Math.ceil((after - before) / 1000) + 1)
      const parsed = sealed.map((p) => {
        const s = parseSealedName(p)
        expect(s, basename(p)).toBeDefined()
        return s!
      })
      for (const [i, s] of parsed.entries()) {
        const p = sealed[i]!
        expect(s.stem).toBe(stem)
        expect(s.ext).toBe(ext)
        expect(isSealedSiblingOf(basename(p), join(d, active))).toBe(true)
        expect(isSealedSiblingOf(p, join(d, `other${ext}`))).toBe(false)
        expect(s.sealedAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000)
        expect(s.sealedAt).toBeLessThanOrEqual(after)
        const stamp = utcStamp(new Date(s.sealedAt))
        expect(s.timestamp).toBe(s.seq === 0 ? stamp : `${stamp}_${s.seq}`)
        expect(s.date).toBe(stamp.slice(0, 10))
        expect(basename(p)).toBe(`${stem}_${s.timestamp}${ext}`)
      }
      expect(parsed.some((s) => s.seq > 0)).toBe(true)
      // A file enqueued by hand is named with the same stem and extension.
      const manual = nameOfUnsealed(join(d, active), new Date(before))
      expect([manual.stem, manual.ext, manual.seq]).toEqual([stem, ext, 0])
      // Retention lists exactly the engine's files, oldest first (stamp, then `_n`).
      const files = await sealedFilesOf(join(d, active))
      expect(files.map((f) => f.path).sort()).toEqual(onDisk)
      for (let i = 1; i < files.length; i++) {
        const [a, b] = [files[i - 1]!, files[i]!]
        expect(a.sealedAt < b.sealedAt || (a.sealedAt === b.sealedAt && a.seq < b.seq)).toBe(true)
      }
    })
  }
})

describe('edge cases', () => {
  const T = '2026-01-02_18-55-02'
  const at = Date.UTC(2026, 0, 2, 18, 55, 2)
  it('multi-dot names, no extension, `_n` suffixes, a stem that is itself a sealed name', () => {
    const p = (name: string) => {
      const s = parseSealedName(name)
      return s && [s.stem, s.timestamp, s.ext, s.seq]
    }
    expect(p(`/var/log/payment_${T}.log`)).toEqual(['payment', T, '.log', 0])
    expect(p(`a.b_${T}.c`)).toEqual(['a.b', T, '.c', 0])
    expect(p(`a_${T}_3`)).toEqual(['a', `${T}_3`, '', 3])
    expect(p(`a_${T}_12.log`)).toEqual(['a', `${T}_12`, '.log', 12])
    expect(p(`.h_${T}`)).toEqual(['.h', T, '', 0])
    expect(p(`x_${T}.my_log`)).toEqual(['x', T, '.my_log', 0])
    expect(p(`a_2026-01-01_00-00-00_${T}_2.log`)).toEqual(['a_2026-01-01_00-00-00', `${T}_2`, '.log', 2])
    // `a.b_<old>.c.d` sealed is `a.b_<old>.c_<T>.d`: only the part before the last dot is stamped.
    expect(p(`a.b_2026-01-01_00-00-00.c_${T}.d`)).toEqual(['a.b_2026-01-01_00-00-00.c', T, '.d', 0])
    expect(parseSealedName(`payment_${T}.log`)?.sealedAt).toBe(at)
    expect(parseSealedName(`payment_${T}.log`)?.date).toBe('2026-01-02')
  })

  it('names that look sealed but that the engine never writes', () => {
    for (const name of [
      'payment.log',
      'payment_2026-01-02.log',
      'payment_2026-01-02_18-55.log',
      `_${T}.log`,
      'payment_2026-13-02_18-55-02.log',
      'payment_2026-02-30_18-55-02.log',
      'payment_2026-01-02_24-00-00.log',
      'payment_2026-1-02_18-55-02.log',
      `payment_${T}_0.log`,
      `payment_${T}_03.log`,
      `payment_${T}_.log`,
      `payment_${T}_x.log`,
      `payment-${T}.log`,
      `payment_${T}.tar.gz`,
      `payment_${T}.log.tmp`,
      `a.b_${T}`,
    ]) {
      expect(parseSealedName(name), name).toBeUndefined()
    }
  })

  it('siblings need the same stem and extension', () => {
    expect(isSealedSiblingOf(`app_${T}.log`, '/d/app.log')).toBe(true)
    expect(isSealedSiblingOf(`app_${T}_2.log`, '/d/app.log')).toBe(true)
    expect(isSealedSiblingOf(`app_${T}.txt`, '/d/app.log')).toBe(false)
    expect(isSealedSiblingOf(`xapp_${T}.log`, '/d/app.log')).toBe(false)
    expect(isSealedSiblingOf(`app.v2_${T}.log`, '/d/app.log')).toBe(false)
    expect(isSealedSiblingOf(`app_${T}`, '/d/app')).toBe(true)
    expect(isSealedSiblingOf(`app_${T}.log`, '/d/app')).toBe(false)
    expect(isSealedSiblingOf('app.log', '/d/app.log')).toBe(false)
  })

  it('utcStamp and nameOfUnsealed use the engine stamp', () => {
    expect(utcStamp(new Date(0))).toBe('1970-01-01_00-00-00')
    expect(utcStamp(new Date(at + 999))).toBe(T)
    expect(utcStamp(new Date(Date.UTC(2000, 1, 29)))).toBe('2000-02-29_00-00-00')
    expect(nameOfUnsealed('/d/app.v2.log', new Date(at))).toEqual({ stem: 'app.v2', timestamp: T, date: '2026-01-02', ext: '.log', sealedAt: at, seq: 0 })
  })
})
