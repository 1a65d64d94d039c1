/**
 * Config parsing from JS, fuzzed with a seeded generator (LOGFERRY_FUZZ_SEED replays a run):
 * random Logger / LoggerManager options, well-formed or not (boundary numbers, NaN, huge
 * sizes, wrong types, typos, prototype keys). Each is either accepted or refused with
 * ERR_INVALID_CONFIG naming the problem (an unknown key by its name) — never another error, a
 * panic or a crash; accepted options really open a logger that writes and reads back. The
 * binding's own conversion (crates/node/src/options.rs) gets raw values past the validator.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Logger, LoggerManager } from '../../dist/index.js'
import { native } from '../../dist/native.js'
import { readDir, removeDir, tempDir } from '../logger/helpers.js'

const SEED = Number(process.env.LOGFERRY_FUZZ_SEED ?? 0x5eed1)
const root = tempDir('logferry-options-fuzz-')
afterAll(() => removeDir(root))

/** mulberry32: small, fast, good enough to pick cases. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const KEYS = ['bufferSize', 'numShards', 'maxFileSize', 'preallocateFileSize', 'flushInterval', 'flushTimeout', 'format', 'shardSelection', 'onFull', 'directIo'] as const
const NUMBERS = [0, 1, -1, 4095, 4096, 65536, 1 << 20, 64 << 20, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 40 + 1, 2 ** 53, Number.MAX_SAFE_INTEGER, 1.5, -0, NaN, Infinity, -Infinity, 1e300, 1024, 1025]
const STRINGS = ['', 'text', 'framed', 'Framed', 'thread', 'roundRobin', 'round-robin', 'block', 'drop', '10 MB', '1 GiB', 'lots', '\0', 'ä'.repeat(3), 'x'.repeat(300)]
const OTHERS: unknown[] = [null, undefined, true, false, {}, [], [1], { a: 1 }, () => 1, 10n, Symbol('s')]

describe('Logger options, fuzzed', () => {
  it(`accepts or refuses with ERR_INVALID_CONFIG, never anything else (seed ${SEED})`, async () => {
    const next = rng(SEED)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T
    const value = (): unknown => {
      const r = next()
      return r < 0.5 ? pick(NUMBERS) : r < 0.8 ? pick(STRINGS) : pick(OTHERS)
    }
    const typo = (k: string): string => {
      const i = Math.floor(next() * k.length)
      const r = next()
      return r < 0.3 ? k.slice(0, i) + k.slice(i + 1) : r < 0.6 ? k.toLowerCase() : r < 0.8 ? `${k}s` : pick(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'logfilepath'])
    }
    let accepted = 0
    let opened = 0
    const counts = { refused: 0, unknown: 0 }
    for (let n = 0; n < 1500; n++) {
      const o: Record<string, unknown> = {}
      const caseDir = join(root, `c${n}`)
      mkdirSync(caseDir)
      Object.defineProperty(o, 'logFilePath', { value: next() < 0.05 ? pick(['', '   ', ...OTHERS, ...NUMBERS]) : join(caseDir, 'f.log'), enumerable: true, writable: true, configurable: true })
      const unknown: string[] = []
      for (const k of KEYS) {
        if (next() < 0.3) o[k] = next() < 0.5 ? value() : pick(NUMBERS.filter((x) => Number.isInteger(x) && x >= 4096 && x <= 1 << 20))
      }
      if (next() < 0.15) {
        const k = typo(pick(KEYS))
        if (!(KEYS as readonly string[]).includes(k) && k !== 'logFilePath') {
          Object.defineProperty(o, k, { value: value(), enumerable: true, writable: true, configurable: true })
          unknown.push(k)
        }
      }
      const manager = next() < 0.5
      if (manager && next() < 0.5) o.maxBufferBytes = next() < 0.5 ? value() : pick(['1 GiB', 1 << 24, '64 MiB'])
      const what = `seed ${SEED} case ${n}: ${manager ? 'LoggerManager' : 'Logger'}(${Object.keys(o).map((k) => `${k}=${String(o[k] as string)}`).join(', ')})`
      let error: (Error & { code?: string }) | undefined
      let logger: Logger | undefined
      try {
        if (manager) new LoggerManager(o as never)
        else if (opened < 25) {
          logger = new Logger(o as never)
          opened++
        } else new LoggerManager({ ...(o as object), maxBufferBytes: undefined } as never)
      } catch (e) {
        error = e as Error & { code?: string }
      }
      if (error) {
        expect(error.code, `${what}: ${String(error)}`).toBe('ERR_INVALID_CONFIG')
        expect(error.message.length, what).toBeGreaterThan(0)
        if (unknown.length > 0) {
          expect(error.message, what).toContain(`unknown option '${unknown[0]}'`)
          counts.unknown++
        }
        counts.refused++
        continue
      }
      expect(unknown, `${what}: an unknown key was accepted`).toEqual([])
      accepted++
      if (logger) {
        logger.log('fuzzed')
        await logger.close()
        expect(readDir(caseDir).records.map(String), what).toEqual(['fuzzed'])
      }
    }
    // The generator reaches both outcomes and the unknown-key path.
    expect(accepted).toBeGreaterThan(50)
    expect(counts.refused).toBeGreaterThan(50)
    expect(counts.unknown).toBeGreaterThan(25)
    expect(opened).toBeGreaterThan(5)
  })

  it(`the binding's conversion takes any number or string without a panic (seed ${SEED})`, () => {
    const next = rng(SEED ^ 0xabcdef)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T
    const numeric = ['bufferSize', 'maxFileSize', 'preallocateFileSize', 'flushInterval', 'flushTimeout'] as const
    for (let n = 0; n < 2000; n++) {
      const o: Record<string, unknown> = { logFilePath: next() < 0.1 ? pick(STRINGS) : join(root, `raw${n}.log`) }
      for (const k of numeric) if (next() < 0.4) o[k] = pick(NUMBERS)
      if (next() < 0.4) o.numShards = pick([0, 1, 8, 1024, 1025, 2 ** 32 - 1])
      for (const k of ['format', 'shardSelection', 'onFull'] as const) if (next() < 0.3) o[k] = pick(STRINGS)
      const budget = pick([1, 2 ** 20, 2 ** 30, 2 ** 53, 0.5, NaN, -1])
      const events = pick([0, 1, 100, 2 ** 32 - 1])
      for (const f of [() => native.checkBufferBudget(o as never, budget), () => native.eventShardBufferLimit(o as never, budget, events)]) {
        try {
          const r = f()
          if (typeof r === 'number') expect(r % 4096).toBe(0)
        } catch (e) {
          // Every refusal is coded by the binding; a panic would carry no ERR_ prefix.
          expect(String((e as Error).message), `case ${n} ${JSON.stringify(o)}`).toMatch(/^ERR_(INVALID_CONFIG|BUFFER_BUDGET): /)
        }
      }
    }
  })
})
