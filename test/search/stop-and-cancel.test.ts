/**
 * `limit` stops the scan, an AbortSignal cancels it, and a file the search cannot finish is
 * reported after its earlier matches. The early stop is proved on a FIFO whose writer never
 * closes it: a search that read on after its limit would wait for more input forever.
 */
import { spawnSync } from 'node:child_process'
import { createWriteStream, mkdtempSync, rmSync, writeFileSync, type WriteStream } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { searchLogs, SearchFileError } from '../../ts/search/search-logs.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'logferry-search-stop-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

/** A FIFO with a writer that wrote `lines` and keeps it open until `close()`. */
async function openFifo(name: string, lines: number): Promise<{ path: string; w: WriteStream; close(): void }> {
  const path = join(dir, name)
  expect(spawnSync('mkfifo', [path]).status).toBe(0)
  const w = createWriteStream(path)
  w.on('error', () => undefined)
  let s = ''
  for (let i = 1; i <= lines; i++) s += `line ${i} MATCH ${'.'.repeat(80)}\n`
  w.write(s)
  return { path, w, close: () => w.destroy() }
}

async function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let t: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms)))
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(t)
  }
}

describe('search: limit, cancel, file errors', () => {
  it('limit: exactly N matches, the first N, and the search stops reading (a FIFO left open)', async () => {
    const fifo = await openFifo('live.log', 20_000)
    try {
      const got = await within(
        10_000,
        (async () => {
          const out: number[] = []
          for await (const m of searchLogs({ pattern: 'MATCH', paths: fifo.path, limit: 7 })) out.push(m.lineNumber)
          return out
        })(),
      )
      expect(got).toEqual([1, 2, 3, 4, 5, 6, 7])
    } finally {
      fifo.close()
    }
  })

  it('limit spans files in newest-first order', async () => {
    for (const [name, t] of [['a.log', 3000], ['b.log', 2000], ['c.log', 1000]] as const) {
      writeFileSync(join(dir, name), 'x MATCH\n'.repeat(4))
      spawnSync('touch', ['-d', `@${t}`, join(dir, name)])
    }
    const got: string[] = []
    for await (const m of searchLogs({ pattern: 'MATCH', paths: dir, limit: 6 })) got.push(`${m.path.slice(dir.length + 1)}:${m.lineNumber}`)
    expect(got).toEqual(['a.log:1', 'a.log:2', 'a.log:3', 'a.log:4', 'b.log:1', 'b.log:2'])
  })

  it('abort: the iterator throws the abort promptly, though the file never ends', async () => {
    const fifo = await openFifo('live.log', 20_000)
    try {
      const ac = new AbortController()
      let seen = 0
      const run = (async () => {
        for await (const _ of searchLogs({ pattern: 'MATCH', paths: fifo.path, signal: ac.signal })) if (++seen === 1) ac.abort()
      })()
      const err = await within(5000, run.then(() => null, (e: unknown) => e))
      expect((err as Error).name).toBe('AbortError')
      expect(seen).toBeGreaterThanOrEqual(1)
    } finally {
      fifo.close()
    }
  })

  it('leaving the loop early cancels the search (break)', async () => {
    const fifo = await openFifo('live.log', 20_000)
    try {
      const n = await within(
        5000,
        (async () => {
          let k = 0
          for await (const _ of searchLogs({ pattern: 'MATCH', paths: fifo.path })) if (++k === 3) break
          return k
        })(),
      )
      expect(n).toBe(3)
    } finally {
      fifo.close()
    }
  })

  it('a corrupt .gz: its matches before the damage, then SearchFileError (thrown, or to onError and the search goes on)', async () => {
    const good = gzipSync('one MATCH\n'.repeat(1000))
    writeFileSync(join(dir, 'bad.log.gz'), good.subarray(0, good.length - 6))
    spawnSync('touch', ['-d', '@2000', join(dir, 'bad.log.gz')])
    writeFileSync(join(dir, 'older.log'), 'older MATCH\n')
    spawnSync('touch', ['-d', '@1000', join(dir, 'older.log')])
    let before = 0
    let thrown: unknown
    try {
      for await (const m of searchLogs({ pattern: 'MATCH', paths: dir })) if (m.path.endsWith('bad.log.gz')) before++
    } catch (e) {
      thrown = e
    }
    expect(thrown).toBeInstanceOf(SearchFileError)
    expect((thrown as SearchFileError).code).toBe('ERR_CORRUPT')
    expect((thrown as SearchFileError).path).toBe(join(dir, 'bad.log.gz'))
    expect(before).toBe(1000)
    const errors: SearchFileError[] = []
    const paths: string[] = []
    for await (const m of searchLogs({ pattern: 'MATCH', paths: [dir, join(dir, 'missing.log')], onError: (e) => errors.push(e) })) paths.push(m.path)
    expect(paths.filter((p) => p.endsWith('older.log'))).toHaveLength(1)
    expect(errors.map((e) => e.code).sort()).toEqual(['ERR_CORRUPT', 'ERR_IO'])
  })

  it('bad options are ERR_INVALID_ARG at the call', () => {
    const code = (f: () => unknown): unknown => {
      try {
        f()
      } catch (e) {
        return (e as { code?: string }).code
      }
      return 'no error'
    }
    expect(code(() => searchLogs({ pattern: '(', regex: true, paths: dir }))).toBe('ERR_INVALID_ARG')
    expect(code(() => searchLogs({ pattern: 'a\nb', paths: dir }))).toBe('ERR_INVALID_ARG')
    expect(code(() => searchLogs({ pattern: 'a', paths: [] }))).toBe('ERR_INVALID_ARG')
    expect(code(() => searchLogs({ pattern: 'a', paths: dir, limit: -1 }))).toBe('ERR_INVALID_ARG')
    expect(code(() => searchLogs({ pattern: 'a', paths: dir, threads: 0 }))).toBe('ERR_INVALID_ARG')
  })
})
