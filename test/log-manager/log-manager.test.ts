/**
 * LogManager over the real engine: config errors (YAML syntax with line/column, every key by
 * path), exact bytes of formats, level filtering, child bindings, rotation, retention, copy jobs.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { tempDirs } from '../temp-dirs.js'
import { LogManager, readLogFileSync, sealedFilesOf, type LogManagerConfig } from '../../ts/index.js'

const { dir } = tempDirs('logferry-lm-')
const lines = (path: string): string[] => readLogFileSync(path).records.map((r) => r.toString())
/** Everything a handler wrote: its rotated files oldest first, then the active file if any. */
async function written(sink: string): Promise<string> {
  const files = (await sealedFilesOf(sink)).map((f) => f.path)
  if (existsSync(sink)) files.push(sink)
  return files.map((f) => readFileSync(f, 'utf8')).join('')
}
const writtenLines = async (sink: string): Promise<string[]> => {
  const text = await written(sink)
  return text === '' ? [] : text.slice(0, -1).split('\n')
}

function configError(f: () => unknown): Error & { code?: string; key?: string; line?: number; column?: number } {
  try {
    f()
  } catch (e) {
    return e as Error
  }
  throw new Error('expected a config error')
}

describe('LogManager config errors', () => {
  it('reports YAML syntax errors with file, line and column', () => {
    const d = dir()
    const file = join(d, 'bad.yaml')
    writeFileSync(file, 'formats:\n  a: "{message}"\nhandlers:\n  app:\n    sink: [unclosed\n')
    const e = configError(() => new LogManager(file))
    expect(e).toMatchObject({ code: 'ERR_INVALID_CONFIG', file, line: 6, column: 1 })
    expect(e.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:6:1: YAML syntax error: `))
    const dup = configError(() => LogManager.fromYaml('handlers: {}\nhandlers: {}\n', { file: 'x.yaml' }))
    expect(dup).toMatchObject({ code: 'ERR_INVALID_CONFIG', line: 2, column: 1 })
    expect(dup.message).toMatch(/^x\.yaml:2:1: YAML syntax error: .*unique/i)
    const missing = configError(() => new LogManager(join(d, 'nope.yaml')))
    expect(missing.message).toMatch(/nope\.yaml: cannot read the config file/)
  })

  it('names the key path and the problem of every invalid key', () => {
    const sink = join(dir(), 'a.log')
    const h = `handlers:\n  app:\n    sink: ${sink}\n`
    const cases: [string, string][] = [
      [`${h}    rotation: "10 XB"\n`, 'handlers.app.rotation: "10 XB" is not a size like "10 MB"'],
      [`${h}    rotation: "1 KB"\n`, 'handlers.app.rotation: "1 KB" is below the smallest rotation size, 4096 bytes'],
      [`${h}    retention: "forever"\n`, 'handlers.app.retention: "forever" is not a duration like "1 week"'],
      [`${h}    retention: 0\n`, 'handlers.app.retention: 0 is not a file count'],
      [`${h}    level: loud\n`, 'handlers.app.level: "loud" is not a level'],
      [`${h}    format: nothere\n`, 'handlers.app.format: "nothere" is neither a name in formats'],
      [`${h}    format: "{time} {lvl}"\n`, 'handlers.app.format: unknown placeholder {lvl}'],
      [`${h}    colour: red\n`, 'handlers.app.colour: is not a known key (expected one of: sink, format'],
      [`${h}    flushInterval: soon\n`, 'handlers.app.flushInterval: "soon" is not a duration'],
      ['handlers:\n  app:\n    format: x\n', 'handlers.app.sink: must be the path of the log file'],
      [`${h}  other:\n    sink: ${sink}\n`, `handlers.other.sink: "${sink}" is already the sink of handlers.app`],
      ['formats:\n  f: "{time"\n', "formats.f: unclosed '{'"],
      ['formats:\n  f: "a } b"\n', "formats.f: unmatched '}'"],
      ['formats: [1, 2]\n', 'formats: must be a mapping, got a list'],
      [`${h}loggers:\n  main:\n    - handler: other\n`, "loggers.main[0].handler: 'other' is not a handler (defined: app)"],
      [`${h}loggers:\n  main:\n    - handler: app\n      level: chatty\n`, 'loggers.main[0].level: "chatty" is not a level'],
      [`${h}loggers:\n  main:\n    handlers: [app]\n    lvl: info\n`, 'loggers.main.lvl: is not a known key'],
      [`${h}loggers:\n  main:\n    handlers: [app, { handler: app, level: error }]\n`, "loggers.main.handlers[1]: lists handler 'app' a second time"],
      [`${h}loggers:\n  main:\n    handlers: []\n`, 'loggers.main.handlers: must list at least one handler'],
      [`${h}loggers:\n  main:\n    level: info\n`, 'loggers.main.handlers: must be a list'],
      ['copy:\n  - name: j\n    local_pattern: /tmp/*.log\n    hdfs_destination: "bogus://x"\n', "copy[0].destination: is not a valid destination (EINVAL: filesystem (unknown protocol 'bogus'))"],
      ['copy:\n  - name: j\n    localPattern: /tmp/*.log\n    destination: memory://x\n    interval: often\n', 'copy[0].interval: "often" is not a duration'],
      ['copy:\n  - name: j\n    destination: memory://x\n', 'copy[0].localPattern: is required'],
      ['copy:\n  - { name: j, localPattern: /a, destination: "memory://x" }\n  - { name: j, localPattern: /b, destination: "memory://y" }\n', "copy[1].name: 'j' is used by another copy job"],
      ['copy:\n  - { name: j, copy_name: k, localPattern: /a, destination: "memory://x" }\n', 'copy[0].copy_name: sets name a second time'],
      ['copy: {}\n', 'copy: must be a list of copy jobs'],
      ['autoStartCopy: maybe\n', 'autoStartCopy: must be true or false'],
      ['loggerz: {}\n', 'loggerz: is not a known key (expected one of: formats, handlers, loggers, copy, autoStartCopy)'],
    ]
    for (const [yaml, message] of cases) {
      const e = configError(() => LogManager.fromYaml(yaml, { file: 'c.yaml' }))
      expect(e.code, yaml).toBe('ERR_INVALID_CONFIG')
      expect(e.message, yaml).toMatch(/^c\.yaml:\d+:\d+: /)
      expect(e.message, yaml).toContain(`: ${message}`)
    }
    // The line and column point at the offending key (or, when it is missing, its parent).
    const sinkless = configError(() => LogManager.fromYaml('formats: {}\nhandlers:\n  app:\n    format: x\n', { file: 'c.yaml' }))
    expect(sinkless).toMatchObject({ key: 'handlers.app.sink', line: 3, column: 3 })
    const deep = configError(() => LogManager.fromYaml(`${h}    rotation: "10 XB"\nloggers:\n  main:\n    - handler: app\n`))
    expect(deep).toMatchObject({ key: 'handlers.app.rotation', line: 4, column: 5 })
    expect(deep.message).toMatch(/^4:5: handlers\.app\.rotation: /)
    const inList = configError(() => LogManager.fromYaml(`${h}loggers:\n  main:\n    - handler: app\n    - handler: nope\n`))
    expect(inList).toMatchObject({ key: 'loggers.main[1].handler', line: 7, column: 7 })
    // An object config reports the same way, without a file.
    const e = configError(() => new LogManager({ handlers: { app: { sink, rotation: '10 XB' } } }))
    expect(e.message).toBe('handlers.app.rotation: "10 XB" is not a size like "10 MB", "512 KiB" or a number of bytes')
    expect(e.key).toBe('handlers.app.rotation')
    expect(existsSync(sink)).toBe(false)
  })
})

describe('LogManager loggers', () => {
  it('writes the exact bytes of each format, with fields, child bindings and escaped newlines', async () => {
    const d = dir()
    const config: LogManagerConfig = {
      formats: { all: '{level}|{name}|{message}|{pid}|{hostname}|{bindings}|{extra}|{{braces}}' },
      handlers: {
        full: { sink: join(d, 'full.log'), format: 'all' },
        plain: { sink: join(d, 'plain.log'), format: '{message}{extra}' },
      },
      loggers: { app: { level: 'trace', handlers: ['full', 'plain'] } },
    }
    const m = new LogManager(config)
    const app = m.getLogger('app')
    expect(m.getLogger('app')).toBe(app)
    app.info('hello')
    app.warn('with fields', { user: 42, note: 'two words', ok: true, none: undefined, list: [1, 'a'] })
    const child = app.child({ req: 'r1' }).child({ span: 7, req: 'r2' })
    child.error('from child', { extra: 'x' })
    child.debug('line one\nline two\r')
    await m.close()
    const pid = String(process.pid)
    const host = hostname()
    expect(await written(join(d, 'full.log'))).toBe(
      [
        `INFO|app|hello|${pid}|${host}|||{braces}`,
        `WARN|app|with fields|${pid}|${host}|| user=42 note="two words" ok=true list=[1,"a"]|{braces}`,
        `ERROR|app|from child|${pid}|${host}| req=r2 span=7| req=r2 span=7 extra=x|{braces}`,
        `DEBUG|app|line one\\nline two\\r|${pid}|${host}| req=r2 span=7| req=r2 span=7|{braces}`,
        '',
      ].join('\n'),
    )
    expect(await writtenLines(join(d, 'plain.log'))).toEqual([
      'hello',
      'with fields user=42 note="two words" ok=true list=[1,"a"]',
      'from child req=r2 span=7 extra=x',
      'line one\\nline two\\r req=r2 span=7',
    ])
  })

  it('writes {time} as ISO 8601 UTC with milliseconds, and uses the default format without one', async () => {
    const d = dir()
    const m = new LogManager({ handlers: { h: { sink: join(d, 'h.log') } }, loggers: { svc: { handlers: ['h'] } } })
    const before = Date.now()
    m.getLogger('svc').info('started', { port: 8080 })
    const after = Date.now()
    await m.close()
    const [line] = await writtenLines(join(d, 'h.log'))
    const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) \| INFO \| svc \| started port=8080$/.exec(line ?? '')
    expect(match, line).not.toBeNull()
    const t = Date.parse(match![1]!)
    expect(t).toBeGreaterThanOrEqual(before)
    expect(t).toBeLessThanOrEqual(after)
  })

  it('filters by logger level, binding level and handler level together', async () => {
    const d = dir()
    const m = LogManager.fromYaml(`
formats:
  short: "{level} {message}"
handlers:
  everything: { sink: ${join(d, 'everything.log')}, format: short }
  warnings:   { sink: ${join(d, 'warnings.log')}, format: short, level: WARNING }
  silent:     { sink: ${join(d, 'silent.log')}, format: short, level: silent }
loggers:
  python_style:
    - handler: everything
      level: DEBUG
    - handler: warnings
  map_style:
    level: error
    handlers: [everything, { handler: warnings, level: fatal }, silent]
  defaults:
    handlers: [everything]
`)
    for (const name of ['python_style', 'map_style', 'defaults']) {
      const l = m.getLogger(name)
      for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) l[level](`${name} ${level}`)
    }
    expect(m.getLogger('map_style').isLevelEnabled('warn')).toBe(false)
    expect(m.getLogger('map_style').isLevelEnabled('error')).toBe(true)
    await m.close()
    expect(await writtenLines(join(d, 'everything.log'))).toEqual([
      'DEBUG python_style debug', 'INFO python_style info', 'WARN python_style warn', 'ERROR python_style error', 'FATAL python_style fatal',
      'ERROR map_style error', 'FATAL map_style fatal',
      'INFO defaults info', 'WARN defaults warn', 'ERROR defaults error', 'FATAL defaults fatal',
    ])
    expect(await writtenLines(join(d, 'warnings.log'))).toEqual([
      'WARN python_style warn', 'ERROR python_style error', 'FATAL python_style fatal',
      'FATAL map_style fatal',
    ])
    expect(await written(join(d, 'silent.log'))).toBe('')
    expect(() => m.getLogger('python_style')).toThrow(/closed/)
  })

  it('rejects unknown loggers and bad arguments', async () => {
    const d = dir()
    const m = new LogManager({ handlers: { h: { sink: join(d, 'h.log') } }, loggers: { a: { handlers: ['h'] } } })
    expect(() => m.getLogger('b')).toThrow(/no logger named "b" in the config \(configured: a\)/)
    expect(() => m.getLogger('a').info(42 as unknown as string)).toThrow(/must be a string/)
    expect(() => m.getLogger('a').info('x', 'y' as unknown as Record<string, unknown>)).toThrow(/must be an object/)
    await m.close()
    expect(await writtenLines(join(d, 'h.log'))).toEqual([])
  })
})

describe('LogManager rotation and retention', () => {
  // One clock reading for every stamp: names built before and after a LogManager start must
  // agree even when the clock crosses a second in between (the stamp has one-second resolution).
  const now = Date.now()
  const stamp = (msAgo: number, seq = 0): string => {
    const s = new Date(now - msAgo).toISOString().slice(0, 19).replace('T', '_').replace(/:/g, '-')
    return seq === 0 ? s : `${s}_${seq}`
  }

  it('rotates at the configured size; every record is in exactly one file', async () => {
    const d = dir()
    const m = new LogManager({ handlers: { h: { sink: join(d, 'app.log'), rotation: '8 KiB', format: '{message}' } }, loggers: { a: { handlers: ['h'] } } })
    const l = m.getLogger('a')
    const expected: string[] = []
    for (let batch = 0; batch < 4; batch++) {
      for (let i = 0; i < 300; i++) {
        const msg = `record ${batch}-${i} ${'x'.repeat(i % 17)}`
        expected.push(msg)
        l.info(msg)
      }
      await m.flush()
    }
    await m.close()
    const sealed = await sealedFilesOf(join(d, 'app.log'))
    expect(sealed.length).toBeGreaterThanOrEqual(4)
    const all = sealed.flatMap((f) => lines(f.path))
    expect(all).toEqual(expected)
  })

  it('retention by count keeps the newest N rotated files of that handler only', async () => {
    const d = dir()
    const names = [stamp(5_000_000), stamp(4_000_000), stamp(3_000_000), stamp(3_000_000, 1), stamp(3_000_000, 2)].map((s) => `app_${s}.log`)
    const other = `other_${stamp(9_000_000)}.log`
    const appX = `app-x_${stamp(9_000_000)}.log`
    for (const f of [...names, 'app.log.bak', 'app_notes.log', other, appX]) writeFileSync(join(d, f), 'old\n')
    const m = new LogManager({ handlers: { h: { sink: join(d, 'app.log'), retention: 2 }, o: { sink: join(d, 'other.log') } }, loggers: {} })
    await m.applyRetention()
    const left = readdirSync(d).sort()
    expect(left).toEqual(
      ['app.log', 'app.log.bak', 'app_notes.log', names[3], names[4], other, 'other.log', appX].sort(),
    )
    await m.close()
  })

  it('retention by age deletes rotated files sealed before the cut-off, on start', async () => {
    const d = dir()
    const old = [`app_${stamp(3 * 86_400_000)}.log`, `app_${stamp(26 * 3_600_000)}_3.log`]
    const young = [`app_${stamp(2 * 3_600_000)}.log`, `app_${stamp(60_000)}_1.log`]
    for (const f of [...old, ...young]) writeFileSync(join(d, f), 'x\n')
    const deleted: string[] = []
    const m = LogManager.fromYaml(`handlers:\n  h:\n    sink: ${join(d, 'app.log')}\n    retention: "1 day"\nloggers: {}\n`)
    // The start-up pass alone removes the old files.
    await vi.waitFor(() => expect(readdirSync(d).sort()).toEqual(['app.log', ...young].sort()))
    deleted.push(...(await m.applyRetention()))
    expect(deleted).toEqual([])
    await m.close()
  })

  it('applies retention whenever the handler seals a file', async () => {
    const d = dir()
    const m = new LogManager({ handlers: { h: { sink: join(d, 'app.log'), rotation: 8192, retention: '1 file', format: '{message}' } }, loggers: { a: { handlers: ['h'] } } })
    const l = m.getLogger('a')
    for (let batch = 0; batch < 5; batch++) {
      for (let i = 0; i < 400; i++) l.info(`r${batch}-${i}`)
      await m.flush()
    }
    await vi.waitFor(async () => expect((await sealedFilesOf(join(d, 'app.log'))).length).toBe(1), { timeout: 10_000 })
    await m.close()
    // Closing seals the active file; the pass after it keeps only that newest one.
    const [last] = await sealedFilesOf(join(d, 'app.log'))
    expect((await sealedFilesOf(join(d, 'app.log'))).length).toBe(1)
    expect(lines(last!.path).at(-1)).toBe('r4-399')
  })
})

describe('LogManager copy jobs', () => {
  it('starts the copy: section (Python-style keys) and offers the copy methods and aliases', async () => {
    const d = dir()
    const logs = join(d, 'logs')
    const dest = join(d, 'dest')
    mkdirSync(logs)
    writeFileSync(join(logs, 'old.log'), 'old\n')
    const m = LogManager.fromYaml(`
handlers:
  h: { sink: ${join(logs, 'app.log')}, format: "{message}" }
loggers:
  app: { handlers: [h] }
copy:
  - copy_name: backup
    local_pattern: "${logs}/*.log"
    hdfs_destination: "file://${dest}"
    copy_interval: 3600
    retry_delay: 1
    settle_time: 0
`)
    m.getLogger('app').info('hello')
    await vi.waitFor(() => expect(m.listCopyOperations()[0]?.runs).toBe(1))
    const [op] = m.listHdfsCopyOperations()
    // app.log is open in this process: not copied.
    expect(op).toMatchObject({ name: 'backup', running: true, interval: 3_600_000, filesCopied: 1 })
    expect(readdirSync(dest)).toEqual(['old.log'])
    // State beside the first handler's sink.
    expect(existsSync(join(logs, '.logferry-copy', 'backup.json'))).toBe(true)
    m.startCopy({ name: 'second', localPattern: join(logs, 'old.log'), destination: `file://${dest}/second`, runOnStart: false, settleTime: 0 })
    expect((await m.runCopyNow('second')).copied).toBe(1)
    expect(m.listCopyOperations().map((o) => o.name)).toEqual(['backup', 'second'])
    expect(await m.stopHdfsCopy('second')).toBe(true)
    await m.close()
    expect(m.listCopyOperations()).toEqual([])
    expect(readFileSync(join(dest, 'second', 'old.log'), 'utf8')).toBe('old\n')
  })

  it('autoStartCopy: false leaves the jobs to the caller', async () => {
    const d = dir()
    const m = new LogManager(
      { copy: [{ name: 'j', localPattern: `${d}/*.log`, destination: `file://${d}/out`, interval: '1 hour' }] },
      { autoStartCopy: false },
    )
    expect(m.listCopyOperations()).toEqual([])
    const [job] = m.configuredCopyJobs()
    expect(job).toMatchObject({ name: 'j', interval: 3_600_000 })
    await m.close()
  })
})
