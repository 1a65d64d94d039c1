// Error detection: a fixture per built-in signature, explicit levels, configured rules, the
// incremental scan (only new bytes, an open traceback left for the next scan), GET /errors and
// the error/warning counts of /services/stats through a real service.
import { appendFileSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../../ts/config-error.js'
import { classifyLine, createClassifier } from '../../ts/service/errors/classifier.js'
import { scanFile, type ScanState } from '../../ts/service/errors/scanner.js'
import { createLogsService } from '../../ts/service/logs-service.js'
import { resolveSettings } from '../../ts/service/settings.js'

const FIXTURES = join(import.meta.dirname, 'fixtures', 'errors')
const work = mkdtempSync(join(tmpdir(), 'lf-errors-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

async function scan(path: string, previous?: ScanState, classifier = createClassifier()) {
  const st = statSync(path)
  return scanFile({ path, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, classifier, previous })
}

const brief = (events: { line: number; signature?: string; level: string }[]) => events.map((e) => [e.line, e.signature ?? e.level])

describe('a fixture per signature', () => {
  const want: Record<string, [number, string][]> = {
    'python-traceback.log': [
      [2, 'python-traceback'],
      [9, 'python-traceback'],
    ],
    'cuda-oom.log': [[2, 'cuda-oom']],
    'slurmstepd-error.log': [[2, 'slurmstepd-error']],
    'slurm-cancelled.log': [[2, 'slurm-cancelled']],
    'slurm-time-limit.log': [[2, 'slurm-time-limit']],
    'oom-killer.log': [
      [1, 'oom-killer'],
      [2, 'oom-killer'],
      [3, 'oom-killer'],
    ],
    'segfault.log': [[2, 'segfault']],
    'nccl-error.log': [
      [3, 'nccl-error'],
      [4, 'nccl-error'],
    ],
    'levels.log': [
      [3, 'error'],
      [5, 'fatal'],
      [7, 'error'],
      [10, 'error'],
    ],
  }
  it('every fixture has its expectation', () => expect(readdirSync(FIXTURES).sort()).toEqual(Object.keys(want).sort()))
  for (const [file, events] of Object.entries(want)) {
    it(file, async () => {
      const r = await scan(join(FIXTURES, file))
      expect(brief(r?.events ?? [])).toEqual(events)
      expect(r?.state.errors).toBe(events.length)
    })
  }
  it('a traceback is one event whose text is the exception line', async () => {
    const r = await scan(join(FIXTURES, 'python-traceback.log'))
    expect(r?.events.map((e) => e.text)).toEqual(['ValueError: bad batch size', "ModuleNotFoundError: No module named 'missing_module'"])
    // Its first line has no timestamp of its own ("[rank0]: Traceback ..."): the file's mtime.
    expect(r?.events[0]?.time).toBe(statSync(join(FIXTURES, 'python-traceback.log')).mtimeMs)
  })
  it('warnings are counted: WARN words, JSON level fields; NCCL WARN is a warning', async () => {
    expect((await scan(join(FIXTURES, 'levels.log')))?.state.warnings).toBe(2)
    expect((await scan(join(FIXTURES, 'nccl-error.log')))?.state.warnings).toBe(1)
  })
  it('event times: the line timestamp, a JSON time field, else the file mtime', async () => {
    const r = await scan(join(FIXTURES, 'levels.log'))
    expect(r?.events[0]?.time).toBe(Date.parse('2026-12-01T10:00:02'))
    expect(r?.events[2]?.time).toBe(1796119206000)
    const oom = await scan(join(FIXTURES, 'cuda-oom.log'))
    expect(oom?.events[0]?.time).toBe(statSync(join(FIXTURES, 'cuda-oom.log')).mtimeMs)
  })
})

describe('the candidate prefilter', () => {
  it('finds exactly what classifying every line finds (fixtures, plus lines of every level and noise)', async () => {
    const noise = join(work, 'noise.log')
    writeFileSync(noise, Array.from({ length: 5000 }, (_, i) => [`INFO ok ${i}`, `x`, `ERROR e${i}`, `  WARNING: w`, `{"lvl":"err"}`, `oom_reaper: reaped`, `é ERROR accentué`, `sbatch: error: x`][i % 8]).join('\r\n') + '\n')
    const all = createClassifier()
    const everyLine = { ...all, candidate: undefined }
    // The candidate in JavaScript (a configured regex rule keeps it there) finds the same too.
    const jsCandidate = { ...all, nativeCandidate: undefined }
    // Over 1 MiB (searched on a native search thread, not the JS thread): tracebacks across its
    // blocks, a last line without its newline.
    const big = join(work, 'big.log')
    const tb = readFileSync(join(FIXTURES, 'python-traceback.log'), 'utf8')
    writeFileSync(big, Array.from({ length: 1200 }, (_, i) => `${'INFO filler line\n'.repeat(60)}${i % 3 === 0 ? tb : `ERROR e${i}\n`}`).join('') + 'ERROR unfinished')
    expect(statSync(big).size).toBeGreaterThan(1 << 20)
    for (const f of [...readdirSync(FIXTURES).map((x) => join(FIXTURES, x)), noise, big]) {
      const fast = await scan(f, undefined, all)
      const slow = await scan(f, undefined, everyLine)
      expect(fast, f).toEqual(slow)
      expect(await scan(f, undefined, jsCandidate), f).toEqual(slow)
    }
    expect((await scan(big))?.events.length).toBeGreaterThan(1200)
    // Per 8 lines: ERROR, the JSON err level, the accented ERROR line.
    expect((await scan(noise))?.state.errors).toBe((5000 / 8) * 3)
  })
})

describe('classifyLine (the function the UI and search reuse)', () => {
  it('levels and signatures of single lines', () => {
    expect(classifyLine('2026-12-01 ERROR boom')).toEqual({ level: 'error' })
    expect(classifyLine('[WARN] slow')).toEqual({ level: 'warn' })
    expect(classifyLine('WARNING:root:deprecated')).toEqual({ level: 'warn' })
    expect(classifyLine('all good, no errors')).toEqual({ level: undefined })
    expect(classifyLine('RuntimeError: CUDA out of memory.')).toEqual({ level: 'error', signature: 'cuda-oom' })
    expect(classifyLine('{"level":"fatal","msg":"x"}')).toEqual({ level: 'fatal' })
    expect(classifyLine('{"level":40}')).toEqual({ level: 'warn' })
  })
  it('configured rules come first; level info silences a known harmless line; builtins can be off', () => {
    const c = createClassifier({ builtins: true, rules: [{ name: 'harmless-oom-probe', match: 'substring', pattern: 'probe: CUDA out of memory', level: 'info' }, { name: 'db-down', match: 'regex', pattern: 'db (?:down|unreachable)', level: 'error' }] })
    expect(c.classify('probe: CUDA out of memory (expected)')).toEqual({ level: 'info', signature: 'harmless-oom-probe' })
    expect(c.classify('the db unreachable since 10:00')).toEqual({ level: 'error', signature: 'db-down' })
    expect(createClassifier({ builtins: false, rules: [] }).classify('Segmentation fault')).toEqual({ level: undefined })
  })
  it('rules are validated in the settings (name, regex, level)', () => {
    const base = { cwd: work, env: {}, ignoreEnvFiles: true }
    const bad = (errors: unknown) => {
      try {
        resolveSettings({ ...base, errors: errors as never })
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError)
        return (e as ConfigError).key
      }
      return 'accepted'
    }
    expect(bad({ rules: [{ name: 'x', match: 'regex', pattern: '(' }] })).toBe('errors.rules[0].pattern')
    expect(bad({ rules: [{ name: 'x', pattern: 'p', level: 'loud' }] })).toBe('errors.rules[0].level')
    expect(bad({ rules: [{ pattern: 'p' }] })).toBe('errors.rules[0].name')
    expect(bad({ builtins: 'yes' })).toBe('errors.builtins')
    expect(resolveSettings({ ...base, errors: { rules: [{ name: 'x', pattern: 'p' }] as never } }).errors).toEqual({ builtins: true, maxEventsPerFile: 200, rules: [{ name: 'x', match: 'substring', pattern: 'p', level: 'error' }] })
  })
})

describe('incremental scan', () => {
  it('only the new bytes are scanned; an open traceback and a line without its newline wait for the next scan', async () => {
    const f = join(work, 'grow.log')
    writeFileSync(f, 'INFO a\nERROR one\nTraceback (most recent call last):\n  File "x.py", line 1\n')
    const a = await scan(f)
    expect(brief(a?.events ?? [])).toEqual([[2, 'error']])
    // The open traceback is not consumed: the offset stays at its first line.
    expect(a?.state).toMatchObject({ offset: 'INFO a\nERROR one\n'.length, lines: 2, errors: 1 })
    appendFileSync(f, 'KeyError: k\nERROR tw')
    const b = await scan(f, a?.state)
    expect(b?.fresh).toBe(false)
    expect(brief(b?.events ?? [])).toEqual([[3, 'python-traceback']])
    expect(b?.state.errors).toBe(2)
    appendFileSync(f, 'o\n')
    const c = await scan(f, b?.state)
    expect(brief(c?.events ?? [])).toEqual([[6, 'error']])
    expect(c?.events[0]?.text).toBe('ERROR two')
    expect(c?.state).toMatchObject({ offset: statSync(f).size, lines: 6, errors: 3 })
    expect(await scan(f, c?.state)).toBeUndefined()
  })
  it('a new inode or a shrunk file is scanned from its start', async () => {
    const f = join(work, 'rot.log')
    writeFileSync(f, 'ERROR 1\nERROR 2\n')
    const a = await scan(f)
    writeFileSync(f, 'ERROR 3\n')
    const b = await scan(f, a?.state)
    expect(b?.fresh).toBe(true)
    expect(b?.state).toMatchObject({ errors: 1, lines: 1 })
  })
  it('.gz files are decoded and scanned whole', async () => {
    const { gzipSync } = await import('node:zlib')
    const f = join(work, 'old.log.gz')
    writeFileSync(f, gzipSync('ok\nSegmentation fault\nlast line without newline ERROR'))
    const r = await scan(f)
    expect(brief(r?.events ?? [])).toEqual([
      [2, 'segfault'],
      [3, 'error'],
    ])
  })
})

describe('through the service: GET /errors, /services/stats counts, counted incrementally', () => {
  it('lists events with file and line, filters by service and since; counts grow with appended lines only', async () => {
    const src = mkdtempSync(join(work, 'src-'))
    for (const f of ['python-traceback.log', 'oom-killer.log']) copyFileSync(join(FIXTURES, f), join(src, `server-${f}`))
    copyFileSync(join(FIXTURES, 'cuda-oom.log'), join(src, 'vllm-1.log'))
    copyFileSync(join(FIXTURES, 'levels.log'), join(src, 'client-1.log'))
    const svc = await createLogsService({ cwd: work, env: {}, ignoreEnvFiles: true, port: 0, syncInterval: 0, logLevel: 'silent', dataDir: join(work, 'data'), source: `src=${src}`, syncOnStart: false })
    await svc.start()
    try {
      await svc.core.triggerSync().done
      const get = async (q: string) => {
        const r = await fetch(`${svc.url}${q}`)
        return { status: r.status, body: (await r.json()) as Record<string, unknown> }
      }
      const stats = (await get('/services/stats')).body.services as { name: string; errors: number; warnings: number }[]
      expect(stats.find((s) => s.name === 'server')).toMatchObject({ errors: 5, warnings: 0 })
      expect(stats.find((s) => s.name === 'vllm')).toMatchObject({ errors: 1 })
      expect(stats.find((s) => s.name === 'client')).toMatchObject({ errors: 4, warnings: 2 })
      const all = (await get('/errors?service=server')).body as { total: number; events: { path: string; line: number; signature: string }[] }
      expect(all.total).toBe(5)
      expect(all.events).toContainEqual(expect.objectContaining({ path: 'categorized/server/src/server-python-traceback.log', line: 9, signature: 'python-traceback' }))
      const since = (await get('/errors?service=client&since=2026-12-01T10:00:04Z')).body as { events: { line: number }[] }
      expect(since.events.map((e) => e.line).sort((a, b) => a - b)).toEqual([5, 7, 10])
      expect((await get('/errors?service=nope')).status).toBe(400)
      expect((await get('/errors?limit=1')).body).toMatchObject({ total: 10, limit: 1 })
      // Appended lines: only they are scanned; the counts grow by exactly them.
      appendFileSync(join(src, 'vllm-1.log'), 'ERROR new one\nWARN careful\n')
      await svc.core.triggerSync().done
      const again = (await get('/services/stats')).body.services as { name: string; errors: number; warnings: number }[]
      expect(again.find((s) => s.name === 'vllm')).toMatchObject({ errors: 2, warnings: 1 })
      const vllm = (await get('/errors?service=vllm')).body as { events: { line: number; text: string }[] }
      expect(vllm.events.map((e) => e.line).sort()).toEqual([2, 4])
    } finally {
      await svc.stop()
    }
  })
})
