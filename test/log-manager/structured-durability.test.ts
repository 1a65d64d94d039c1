/**
 * Structured records the hard way: process.exit() right after 100,000 calls (a child process)
 * loses none, and rotation under structured load splits no line and loses or repeats no record.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDirs } from '../temp-dirs.js'
import { LogManager, sealedFilesOf } from '../../ts/index.js'

const { dir } = tempDirs('logferry-sdur-')
const N = 100_000

/** Every file of a handler, oldest first; each must end with a whole line. */
async function files(sink: string): Promise<string[]> {
  const all = (await sealedFilesOf(sink)).map((f) => f.path)
  if (existsSync(sink)) all.push(sink)
  return all.map((f) => readFileSync(f, 'utf8'))
}

/** Checks that `lines` hold i = 0 .. N-1 once each, in order (JSON lines or `... i=<n>` text). */
function exactlyOnce(lines: string[], i: (line: string) => number): void {
  expect(lines.length).toBe(N)
  const bad = lines.map((l, k) => [k, i(l)] as const).filter(([k, v]) => k !== v)
  expect(bad.slice(0, 3)).toEqual([])
}

describe('structured records at exit and under rotation', () => {
  it('process.exit() right after 100,000 structured calls loses nothing (JSON and template handlers)', async () => {
    const d = dir()
    const code = `
      import { LogManager } from ${JSON.stringify(resolve('ts/index.ts'))}
      const m = new LogManager({
        handlers: {
          json: { sink: ${JSON.stringify(join(d, 'j.log'))}, format: 'json' },
          text: { sink: ${JSON.stringify(join(d, 't.log'))}, format: '{time} {level} {message}{extra}' },
        },
        loggers: { app: { handlers: ['json', 'text'] } },
      })
      const log = m.getLogger('app').child({ worker: 1 })
      for (let i = 0; i < ${N}; i++) log.info('request done', { ms: i % 997, path: '/api/x', user: 'ann', i })
      process.exit(0)
    `
    execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] })
    const json = (await files(join(d, 'j.log'))).join('').split('\n').slice(0, -1)
    exactlyOnce(json, (l) => (JSON.parse(l) as { i: number }).i)
    expect(JSON.parse(json[N - 1] as string)).toMatchObject({ level: 30, name: 'app', worker: 1, ms: (N - 1) % 997, msg: 'request done' })
    const text = (await files(join(d, 't.log'))).join('').split('\n').slice(0, -1)
    exactlyOnce(text, (l) => Number(/ i=(\d+)$/.exec(l)?.[1]))
    expect(text[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z INFO request done worker=1 ms=0 path=\/api\/x user=ann i=0$/)
  })

  it('rotation under structured load: many files, each ends on a whole line, every record once', async () => {
    const sink = join(dir(), 'app.log')
    const m = new LogManager({ handlers: { app: { sink, format: 'json', rotation: '256 KiB' } }, loggers: { app: { handlers: ['app'] } } })
    const log = m.getLogger('app')
    for (let i = 0; i < N; i++) {
      log.info({ i, note: 'x'.repeat(i % 50), nested: { a: [i, String(i)] } }, 'rotating')
      if (i % 10_000 === 0) await new Promise((r) => setImmediate(r))
    }
    await m.close()
    const parts = await files(sink)
    expect(parts.length).toBeGreaterThan(20)
    for (const p of parts) expect(p.endsWith('\n')).toBe(true)
    const lines = parts.join('').split('\n').slice(0, -1)
    exactlyOnce(lines, (l) => (JSON.parse(l) as { i: number }).i)
  })
})
