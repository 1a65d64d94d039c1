/**
 * format: 'json' over the real engine: the line shape compared key by key with pino's own output
 * for the same calls, the options (label levels, ISO time, message key, base), and a fuzz of
 * 100,000 random field objects whose every line must parse and give the fields back.
 */
import { existsSync, readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { isDeepStrictEqual } from 'node:util'
import { join } from 'node:path'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { tempDirs } from '../temp-dirs.js'
import { LogManager, sealedFilesOf, type HandlerConfig } from '../../ts/index.js'

const { dir } = tempDirs('logferry-json-')

type Line = Record<string, unknown>

/** Everything a handler wrote: its sealed files oldest first, then the active file if any. */
async function written(sink: string): Promise<string> {
  const files = (await sealedFilesOf(sink)).map((f) => f.path)
  if (existsSync(sink)) files.push(sink)
  return files.map((f) => readFileSync(f, 'utf8')).join('')
}

/** A manager with one JSON handler and one logger `app` at trace; `run` logs, the lines come back parsed. */
async function ours(run: (log: ReturnType<LogManager['getLogger']>) => void, json: HandlerConfig['json'] = {}): Promise<{ raw: string[]; lines: Line[] }> {
  const sink = join(dir(), 'app.log')
  const m = new LogManager({ handlers: { app: { sink, format: 'json', json } }, loggers: { app: { level: 'trace', handlers: ['app'] } } })
  run(m.getLogger('app'))
  await m.close()
  const raw = (await written(sink)).split('\n').slice(0, -1)
  return { raw, lines: raw.map((l) => JSON.parse(l) as Line) }
}

/** pino's lines for the same calls (name 'app', level trace). */
function theirs(run: (log: pino.Logger) => void, options: pino.LoggerOptions = {}): { raw: string[]; lines: Line[] } {
  const raw: string[] = []
  const log = pino({ name: 'app', level: 'trace', ...options }, { write: (s: string) => raw.push(s.slice(0, -1)) })
  run(log)
  return { raw, lines: raw.map((l) => JSON.parse(l) as Line) }
}

/** Same keys in the same order and the same values; `time` only has to be of the same kind and close. */
function sameShape(a: Line, b: Line): void {
  expect(Object.keys(a)).toEqual(Object.keys(b))
  for (const k of Object.keys(b)) {
    if (k === 'time') {
      expect(typeof a.time).toBe(typeof b.time)
      const t = (v: unknown) => (typeof v === 'number' ? v : Date.parse(String(v)))
      expect(Math.abs(t(a.time) - t(b.time))).toBeLessThan(60_000)
    } else expect(a[k], k).toEqual(b[k])
  }
}

describe("format: 'json' against pino", () => {
  const cause = new Error('disk full')
  const err = Object.assign(new TypeError('write failed', { cause }), { code: 'EWRITE', attempt: 3 })
  const calls: [string, (l: any) => void][] = [
    ['info(msg)', (l) => l.info('hello')],
    ['info(obj, msg)', (l) => l.info({ user: 'ann', ms: 12.5, ok: true, nil: null, list: [1, 'two', { three: 3 }], nested: { a: { b: 'c' } } }, 'done')],
    ['info(obj)', (l) => l.info({ only: 'fields' })],
    ['info(err)', (l) => l.error(err)],
    ['info(err, msg)', (l) => l.error(err, 'request failed')],
    ['info({ err })', (l) => l.warn({ err, path: '/x' })],
    ['escapes', (l) => l.info({ 'quote"key': 'a"b\\c', ctl: '\u0000\u001f\n\r\t', uni: 'żółć 漢字 😀', lone: '\ud800x' }, 'msg with "quotes"\nand a newline')],
    ['undefined, NaN, Infinity', (l) => l.info({ u: undefined, nan: NaN, inf: -Infinity, f: () => 1 }, 'special')],
    ['every level', (l) => ['trace', 'debug', 'info', 'warn', 'error', 'fatal'].forEach((lv) => l[lv](lv))],
    ['child bindings', (l) => l.child({ req: 'r1', n: 1 }).child({ span: 7 }).info({ extra: true }, 'from child')],
  ]

  it.each(calls)('%s: same keys, order and values as pino', async (_name, call) => {
    const a = await ours(call)
    const b = theirs(call)
    expect(a.lines.length).toBe(b.lines.length)
    a.lines.forEach((line, i) => sameShape(line, b.lines[i] as Line))
    expect(a.lines[0]).toMatchObject({ pid: process.pid, hostname: hostname(), name: 'app' })
  })

  it('options: label levels, ISO time, a message key, base: null and a custom base', async () => {
    const call = (l: any) => l.warn({ a: 1 }, 'hi')
    const labels = await ours(call, { levels: 'label', time: 'iso', messageKey: 'message' })
    const pinoLabels = theirs(call, { formatters: { level: (label) => ({ level: label }) }, timestamp: pino.stdTimeFunctions.isoTime, messageKey: 'message' })
    sameShape(labels.lines[0] as Line, pinoLabels.lines[0] as Line)
    expect(labels.lines[0]).toMatchObject({ level: 'warn', message: 'hi' })
    expect(labels.lines[0]?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    // base: null drops pid and hostname; the logger's name stays (pino's base: {} with a name).
    const bare = await ours(call, { base: null, time: false })
    sameShape(bare.lines[0] as Line, theirs(call, { base: {}, timestamp: false }).lines[0] as Line)
    expect(bare.raw[0]).toBe('{"level":40,"name":"app","a":1,"msg":"hi"}')
    const custom = await ours(call, { base: { service: 'api', region: 'eu' }, time: false })
    expect(custom.raw[0]).toBe('{"level":40,"service":"api","region":"eu","name":"app","a":1,"msg":"hi"}')
    // Other tools' key names (seed 004's timestamp / logger / message).
    const keys = await ours(call, { base: null, time: 'iso', timeKey: 'timestamp', nameKey: 'logger', messageKey: 'message' })
    expect(Object.keys(keys.lines[0] as Line)).toEqual(['level', 'timestamp', 'logger', 'a', 'message'])
    expect(keys.lines[0]).toMatchObject({ level: 40, logger: 'app', a: 1, message: 'hi' })
    const epochKey = await ours(call, { base: null, timeKey: 'ts' })
    expect(typeof epochKey.lines[0]?.ts).toBe('number')
  })

  it('an unknown json option, or json with a template format, is a config error with the key', () => {
    const sink = join(dir(), 'x.log')
    expect(() => new LogManager({ handlers: { app: { sink, format: 'json', json: { level: 'x' } as never } } })).toThrow(/handlers\.app\.json\.level/)
    expect(() => new LogManager({ handlers: { app: { sink, format: 'json', json: { time: 'unix' as never } } } })).toThrow(/handlers\.app\.json\.time/)
    expect(() => new LogManager({ handlers: { app: { sink, format: '{message}', json: {} } } })).toThrow(/handlers\.app\.json: applies to format: 'json' only/)
    expect(() => new LogManager({ formats: { json: '{message}' }, handlers: { app: { sink, format: 'json' } } })).toThrow(/formats\.json: 'json' is the built-in JSON format/)
  })

  it('BigInt, circular references, toJSON and throwing getters never break a line', async () => {
    const circ: Record<string, unknown> = { name: 'loop' }
    circ.self = circ
    const arr: unknown[] = [1]
    arr.push(arr)
    const when = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6))
    const hostile = {
      get boom(): never {
        throw new Error('getter')
      },
    }
    const badToJSON = { toJSON: () => { throw new Error('toJSON') } }
    const { raw, lines } = await ours((l) => {
      l.info({ big: 12345678901234567890n, nested: { big: -7n } }, 'bigint')
      l.info({ circ, arr }, 'circular')
      l.info({ when, custom: { toJSON: () => ({ shown: true }) } }, 'toJSON')
      l.info({ hostile, badToJSON }, 'hostile')
      l.info({ deep: { err: new RangeError('inner') } }, 'nested error')
    })
    expect(raw[0]).toContain('"big":12345678901234567890,"nested":{"big":-7}')
    expect(lines[1]).toMatchObject({ circ: { name: 'loop', self: '[Circular]' }, arr: [1, '[Circular]'] })
    expect(lines[2]).toMatchObject({ when: '2026-01-02T03:04:05.006Z', custom: { shown: true } })
    expect(lines[3]).toMatchObject({ hostile: { boom: '[unserializable]' }, badToJSON: '[unserializable]', msg: 'hostile' })
    // Nested deeper than a field's value, an Error is what JSON.stringify makes of it (as in pino).
    expect(lines[4]).toEqual({ level: 30, time: lines[4]?.time, pid: process.pid, hostname: hostname(), name: 'app', deep: { err: {} }, msg: 'nested error' })
  })
})

/** A small deterministic PRNG, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const ALPHABET = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\r', '\t', '\u0000', '\u0007', '\u001f', '\u007f', '\u2028', 'é', 'ß', '漢', '😀', '\ud83d', '\ude00', '{', '}', ':', ',', '=']

describe('JSON validity fuzz', () => {
  it('100,000 random field objects: every line parses and gives its fields back', async () => {
    const rand = rng(13)
    const int = (k: number) => Math.floor(rand() * k)
    const str = (): string => {
      let s = ''
      for (let i = int(12); i > 0; i--) s += ALPHABET[int(ALPHABET.length)]
      return s
    }
    // A pool: building a stack trace per value would dominate the test's time.
    const errors = Array.from({ length: 64 }, () => new Error(str()))
    /** [value to log, what JSON.parse must give back (undefined: the key is left out)]. */
    const value = (depth: number): [unknown, unknown] => {
      switch (int(depth > 2 ? 6 : 12)) {
        case 0: { const s = str(); return [s, s] }
        case 1: { const x = rand() < 0.5 ? int(2 ** 31) - 2 ** 30 : (rand() - 0.5) * 1e6; return [x, x] }
        case 2: { const b = rand() < 0.5; return [b, b] }
        case 3: return [null, null]
        case 4: { const nf = [NaN, Infinity, -Infinity][int(3)]; return [nf, null] }
        case 5: return [undefined, undefined]
        case 6: case 7: {
          const o: Record<string, unknown> = {}
          const e: Record<string, unknown> = {}
          for (let i = int(4); i > 0; i--) {
            const k = str()
            const [v, ev] = value(depth + 1)
            o[k] = v
            if (v !== undefined) e[k] = ev
            else delete e[k]
          }
          return [o, e]
        }
        case 8: {
          const a: unknown[] = []
          const e: unknown[] = []
          for (let i = int(4); i > 0; i--) {
            const [v, ev] = value(depth + 1)
            a.push(v)
            e.push(v === undefined ? null : ev)
          }
          return [a, e]
        }
        case 9: { const b = BigInt(int(2 ** 30)) * 1000003n; return [b, Number(b)] }
        case 10: { const c: Record<string, unknown> = { tag: str() }; c.again = c; return [c, { tag: c.tag, again: '[Circular]' }] }
        default: { const err = errors[int(errors.length)] as Error; return [err, depth === 0 ? { type: 'Error', message: err.message, stack: err.stack } : {}] }
      }
    }
    const N = 100_000
    const expected: Record<string, unknown>[] = []
    const { raw, lines } = await ours((l) => {
      for (let i = 0; i < N; i++) {
        const fields: Record<string, unknown> = {}
        const e: Record<string, unknown> = {}
        for (let j = int(5); j > 0; j--) {
          const k = `f${j}_${str()}`
          const [v, ev] = value(0)
          fields[k] = v
          if (v !== undefined) e[k] = ev
        }
        expected.push(e)
        l.info(fields, str())
      }
    }, { base: null, time: false })
    expect(raw.length).toBe(N)
    const wrong: { line: string; expected: unknown }[] = []
    for (let i = 0; i < N; i++) {
      const { level, name, msg, ...fields } = lines[i] as Line
      if (level !== 30 || name !== 'app' || typeof msg !== 'string' || !isDeepStrictEqual(fields, expected[i])) wrong.push({ line: raw[i] as string, expected: expected[i] })
    }
    expect(wrong.slice(0, 3)).toEqual([])
  })
})
