/**
 * pino writing through logferry: `pino(opts, destination(...))` and
 * `pino.transport({ target: 'logferry/transport' })`. Exact accounting of 100,000 records with
 * process.exit() right after the last call (child processes on the built package, as users get
 * it), rotation and pino's flush/end on the destination.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { tempDirs } from '../temp-dirs.js'
import { destination } from '../../ts/pino/index.js'
import transport from '../../ts/pino/transport.js'
import { sealedFilesOf } from '../../ts/index.js'

const { dir } = tempDirs('logferry-pino-')
const N = 100_000

/** The lines of every file in `d` (one log: its sealed files sort by their stamp). */
function linesIn(d: string): string[] {
  const text = readdirSync(d).sort().map((f) => readFileSync(join(d, f), 'utf8')).join('')
  return text === '' ? [] : text.slice(0, -1).split('\n')
}

describe.each(['destination', 'transport'] as const)('pino through logferry (%s)', (mode) => {
  it('100,000 records and process.exit() right after the last: every record once, in order, in pino shape', () => {
    const d = dir()
    execFileSync(process.execPath, [resolve('test/pino/fixtures/pino-writer.mjs'), mode, join(d, 'app.log'), String(N)], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 })
    const lines = linesIn(d)
    expect(lines.length).toBe(N)
    const wrong = lines.map((l, k) => [k, (JSON.parse(l) as { i: number }).i] as const).filter(([k, i]) => k !== i)
    expect(wrong.slice(0, 3)).toEqual([])
    const last = JSON.parse(lines[N - 1] as string) as Record<string, unknown>
    expect(Object.keys(last)).toEqual(['level', 'time', 'pid', 'hostname', 'name', 'i', 'path', 'user', 'msg'])
    expect(last).toMatchObject({ level: 30, name: 'child', i: N - 1, msg: 'request done' })
  })
})

describe('destination()', () => {
  it('rotates under pino, reports sealed files, and serves pino flush and end', async () => {
    const d = dir()
    const sink = join(d, 'app.log')
    const dest = destination({ logFilePath: sink, maxFileSize: 64 * 1024, bufferSize: 64 * 1024, preallocateFileSize: 0 })
    const sealed: string[] = []
    dest.logger.on('sealed', (p) => sealed.push(p))
    await new Promise<void>((r) => dest.once('ready', () => r()))
    const log = pino({ base: null, timestamp: false }, dest)
    const count = 20_000
    for (let i = 0; i < count; i++) {
      log.info({ i }, 'rotating')
      if (i % 2000 === 0) await new Promise((r) => setImmediate(r))
    }
    await new Promise<void>((r, j) => log.flush((err) => (err ? j(err) : r())))
    expect(sealed.length).toBeGreaterThan(3)
    const closed = new Promise<void>((r) => dest.once('close', () => r()))
    dest.end()
    await closed
    expect(dest.writable).toBe(false)
    expect(dest.logger.getStats().totalLogs).toBe(count)
    const files = (await sealedFilesOf(sink)).map((f) => f.path)
    expect(existsSync(sink)).toBe(false)
    const lines = files.flatMap((f) => readFileSync(f, 'utf8').slice(0, -1).split('\n'))
    expect(lines.map((l) => (JSON.parse(l) as { i: number }).i)).toEqual(Array.from({ length: count }, (_, i) => i))
    expect(lines[0]).toBe('{"level":30,"i":0,"msg":"rotating"}')
  })

  it('takes a path, and refuses what is neither a path nor options', async () => {
    const d = dir()
    const dest = destination(join(d, 'p.log'))
    pino(dest).warn('by path')
    dest.end()
    await new Promise<void>((r) => dest.once('close', () => r()))
    expect(linesIn(d).map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['by path'])
    expect(() => destination(42 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }))
    expect((await import('../../ts/index.js')).destination).toBe(destination)
  })
})

describe('logferry/transport', () => {
  it('joins lines split across chunks, writes several lines per chunk, and a last line without its newline at end', async () => {
    const d = dir()
    const stream = transport({ logFilePath: join(d, 't.log'), $context: {}, pinoWillSendConfig: true } as Parameters<typeof transport>[0])
    for (const chunk of ['{"a":1}\n{"b":', '2}\n', '{"c":3}\n{"d":4}\n{"e"', ':5}']) stream.write(chunk)
    await new Promise<void>((r) => stream.end(() => r()))
    expect(linesIn(d)).toEqual(['{"a":1}', '{"b":2}', '{"c":3}', '{"d":4}', '{"e":5}'])
  })
})
