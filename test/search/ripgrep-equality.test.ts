/**
 * logferry search finds exactly the lines ripgrep finds (paths, line numbers, byte offsets,
 * lines) on the generated corpus, with ripgrep in its "search everything as text" mode:
 * `rg -a` (logferry treats every file as text: a log with a zero-filled hole after a crash
 * keeps its later lines), `-z` (.gz/.zst decoded), `-u` (no ignore files; hidden names are
 * skipped by both). Context lines are checked against the lines ripgrep prints with `-C`.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { searchLogs, type SearchMatch } from '../../ts/search/search-logs.js'
import { makeCorpus, type Corpus } from './corpus.js'

interface RgMatch {
  path: string
  lineNumber: number
  offset: number
  line: string
}

type RgText = { text?: string; bytes?: string }
const textOf = (t: RgText): string => (t.text !== undefined ? t.text : Buffer.from(t.bytes ?? '', 'base64').toString('utf8'))

/** ripgrep's matches (and, with context, every line it printed, by path and number). */
function rg(root: string, pattern: string, o: { regex: boolean; ignoreCase: boolean; context?: number }): { matches: RgMatch[]; printed: Map<string, string> } {
  const args = ['--json', '--no-config', '-a', '-z', '-u', ...(o.regex ? [] : ['-F']), ...(o.ignoreCase ? ['-i'] : []), ...(o.context ? ['-C', String(o.context)] : []), '-e', pattern, root]
  const r = spawnSync('rg', args, { maxBuffer: 1 << 30 })
  if (r.status !== 0 && r.status !== 1) throw new Error(`rg failed (${r.status}): ${r.stderr.toString()}`)
  const matches: RgMatch[] = []
  const printed = new Map<string, string>()
  for (const l of r.stdout.toString('utf8').split('\n')) {
    if (l === '') continue
    const ev = JSON.parse(l) as { type: string; data: { path: RgText; lines: RgText; line_number: number; absolute_offset: number } }
    if (ev.type !== 'match' && ev.type !== 'context') continue
    const path = relative(root, textOf(ev.data.path))
    const line = textOf(ev.data.lines).replace(/\n$/, '')
    printed.set(`${path}:${ev.data.line_number}`, line)
    if (ev.type === 'match') matches.push({ path, lineNumber: ev.data.line_number, offset: ev.data.absolute_offset, line })
  }
  return { matches, printed }
}

async function ours(root: string, pattern: string, o: { regex: boolean; ignoreCase: boolean; threads?: number; context?: number }): Promise<SearchMatch[]> {
  const out: SearchMatch[] = []
  for await (const m of searchLogs({ pattern, paths: root, regex: o.regex, ignoreCase: o.ignoreCase, threads: o.threads, context: o.context }))
    out.push({ ...m, path: relative(root, m.path) })
  return out
}

const key = (m: { path: string; lineNumber: number; offset: number; line: string }): string => JSON.stringify([m.path, m.lineNumber, m.offset, m.line])

const CASES: { pattern: string; regex: boolean; ignoreCase: boolean }[] = [
  { pattern: 'ERROR', regex: false, ignoreCase: false },
  { pattern: 'NEEDLE', regex: false, ignoreCase: false },
  { pattern: 'Grüße', regex: false, ignoreCase: false },
  { pattern: 'échec', regex: false, ignoreCase: true },
  { pattern: '$1.5(x)', regex: false, ignoreCase: false },
  { pattern: String.raw`timeout after \d+ms`, regex: true, ignoreCase: false },
  { pattern: String.raw`fail(ed|ure)\b`, regex: true, ignoreCase: true },
  { pattern: String.raw`^\S+ WARN .*retry`, regex: true, ignoreCase: false },
  { pattern: String.raw`\r$`, regex: true, ignoreCase: false },
  { pattern: '^$', regex: true, ignoreCase: false },
  { pattern: 'x{100,}', regex: true, ignoreCase: false },
  { pattern: String.raw`[^\x00-\x7F]+ ok`, regex: true, ignoreCase: false },
  { pattern: String.raw`a\s+b`, regex: true, ignoreCase: false },
  { pattern: String.raw`[^x]*without newline$`, regex: true, ignoreCase: false },
]

describe('logferry search equals ripgrep', () => {
  let dir: string
  let corpus: Corpus
  beforeAll(() => {
    const v = spawnSync('rg', ['--version'])
    if (v.status !== 0) throw new Error('ripgrep (rg) is missing: bash test/servers/install.sh installs it')
    dir = mkdtempSync(join(tmpdir(), 'logferry-search-rg-'))
    corpus = makeCorpus(dir)
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  for (const c of CASES) {
    it(`${c.regex ? 'regex' : 'literal'}${c.ignoreCase ? ' -i' : ''} ${JSON.stringify(c.pattern)}`, async () => {
      const want = rg(dir, c.pattern, c).matches
      const got = await ours(dir, c.pattern, c)
      expect(want.length).toBeGreaterThan(0)
      expect(got.map(key).sort()).toEqual(want.map(key).sort())
      // Files newest first, lines in order within each file.
      const files = got.map((m) => m.path).filter((p, i, a) => i === 0 || a[i - 1] !== p)
      expect(files).toEqual(corpus.newestFirst.filter((f) => files.includes(f)))
      for (let i = 1; i < got.length; i++) {
        const a = got[i - 1] as SearchMatch
        const b = got[i] as SearchMatch
        if (a.path === b.path) expect(b.lineNumber).toBeGreaterThan(a.lineNumber)
      }
    })
  }

  it('one thread and four give the same matches in the same order', async () => {
    const one = await ours(dir, 'ERROR', { regex: false, ignoreCase: false, threads: 1 })
    const four = await ours(dir, 'ERROR', { regex: false, ignoreCase: false, threads: 4 })
    expect(one.length).toBeGreaterThan(100)
    expect(four).toEqual(one)
  })

  it('context lines are the lines ripgrep prints around each match (-C 2)', async () => {
    for (const c of [{ pattern: 'NEEDLE', regex: false, ignoreCase: false }, { pattern: String.raw`timeout after \d{4}ms`, regex: true, ignoreCase: false }]) {
      const { matches, printed } = rg(dir, c.pattern, { ...c, context: 2 })
      const got = await ours(dir, c.pattern, { ...c, context: 2 })
      expect(got.map(key).sort()).toEqual(matches.map(key).sort())
      let lines = 0
      for (const m of got) {
        const want = (from: number, to: number): string[] => {
          const out: string[] = []
          for (let n = from; n <= to; n++) {
            const t = printed.get(`${m.path}:${n}`)
            if (t !== undefined) out.push(t)
          }
          return out
        }
        expect(m.before).toEqual(want(m.lineNumber - 2, m.lineNumber - 1))
        expect(m.after).toEqual(want(m.lineNumber + 1, m.lineNumber + 2))
        lines += (m.before?.length ?? 0) + (m.after?.length ?? 0)
      }
      expect(lines).toBeGreaterThan(got.length)
    }
  })
})
