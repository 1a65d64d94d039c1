/**
 * pino's call conventions on LogManager loggers, over the real engine: info(obj, msg), info(msg),
 * info(err), child(bindings) rendered once, level get/set, isLevelEnabled, redact paths.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDirs } from '../temp-dirs.js'
import { LogManager, sealedFilesOf, type LoggerConfig } from '../../ts/index.js'

const { base, dir } = tempDirs('logferry-conv-')

async function written(sink: string): Promise<string[]> {
  const files = (await sealedFilesOf(sink)).map((f) => f.path)
  if (existsSync(sink)) files.push(sink)
  const text = files.map((f) => readFileSync(f, 'utf8')).join('')
  return text === '' ? [] : text.slice(0, -1).split('\n')
}

/** One JSON handler (no time, no base) and one template handler behind logger `app`. */
async function run(logger: Partial<LoggerConfig>, body: (m: LogManager) => void): Promise<{ json: Record<string, unknown>[]; text: string[] }> {
  const d = dir()
  const m = new LogManager({
    handlers: {
      json: { sink: join(d, 'j.log'), format: 'json', json: { time: false, base: null } },
      text: { sink: join(d, 't.log'), format: '{level} {message}{extra}' },
    },
    loggers: { app: { handlers: ['json', 'text'], ...logger } },
  })
  body(m)
  await m.close()
  return { json: (await written(join(d, 'j.log'))).map((l) => JSON.parse(l) as Record<string, unknown>), text: await written(join(d, 't.log')) }
}

describe('pino call conventions', () => {
  it('info(obj, msg), info(msg), info(msg, fields), info(err), info({ err })', async () => {
    const err = Object.assign(new Error('boom'), { code: 'E_BOOM' })
    const { json, text } = await run({}, (m) => {
      const log = m.getLogger('app')
      log.info({ a: 1 }, 'obj first')
      log.info('msg first', { a: 2 })
      log.info('just a message')
      log.info({ only: 'fields' })
      log.error(err)
      log.error(err, 'with a message')
      log.warn({ err, path: '/p' })
    })
    expect(json.map(({ level, msg, a, only }) => ({ level, msg, a, only }))).toEqual([
      { level: 30, msg: 'obj first', a: 1, only: undefined },
      { level: 30, msg: 'msg first', a: 2, only: undefined },
      { level: 30, msg: 'just a message', a: undefined, only: undefined },
      { level: 30, msg: undefined, a: undefined, only: 'fields' },
      { level: 50, msg: 'boom', a: undefined, only: undefined },
      { level: 50, msg: 'with a message', a: undefined, only: undefined },
      { level: 40, msg: 'boom', a: undefined, only: undefined },
    ])
    expect(json[4]?.err).toEqual({ type: 'Error', message: 'boom', stack: err.stack, code: 'E_BOOM' })
    expect(json[6]).toMatchObject({ path: '/p', err: { type: 'Error', code: 'E_BOOM' } })
    expect(text.slice(0, 4)).toEqual(['INFO obj first a=1', 'INFO msg first a=2', 'INFO just a message', 'INFO  only=fields'])
    expect(text[4]).toBe('ERROR boom err="boom"')
  })

  it('bad arguments are refused with ERR_INVALID_ARG', async () => {
    await run({}, (m) => {
      const log = m.getLogger('app')
      expect(() => log.info(42 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }))
      expect(() => log.info('m', 'not fields' as never)).toThrow(/fields must be an object/)
      expect(() => log.info({ a: 1 }, 7 as never)).toThrow(/message must be a string/)
      expect(() => log.log('loud' as never, 'x')).toThrow(/unknown level/)
    })
  })
})

describe('levels', () => {
  it('level get/set and isLevelEnabled; the handler levels still apply', async () => {
    const { json } = await run({ level: 'warn' }, (m) => {
      const log = m.getLogger('app')
      expect(log.level).toBe('warn')
      expect([log.isLevelEnabled('info'), log.isLevelEnabled('warn')]).toEqual([false, true])
      log.info('dropped')
      log.level = 'debug'
      expect(log.level).toBe('debug')
      expect(log.isLevelEnabled('debug')).toBe(true)
      log.debug('now written')
      log.trace('still below')
      log.level = 'silent'
      log.fatal('silent drops everything')
      expect(() => {
        log.level = 'loud' as never
      }).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }))
    })
    expect(json.map((l) => l.msg)).toEqual(['now written'])
  })

  it('children take the parent level at creation or their own; each level method writes its number', async () => {
    const { json } = await run({ level: 'trace' }, (m) => {
      const log = m.getLogger('app')
      const quiet = log.child({ c: 1 }, { level: 'error' })
      for (const lv of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) {
        log[lv](lv)
        quiet[lv](`child ${lv}`)
      }
      expect(quiet.level).toBe('error')
      expect(log.level).toBe('trace')
    })
    expect(json.map((l) => [l.level, l.msg])).toEqual([
      [10, 'trace'], [20, 'debug'], [30, 'info'], [40, 'warn'], [50, 'error'], [50, 'child error'], [60, 'fatal'], [60, 'child fatal'],
    ])
  })
})

describe('children', () => {
  it('bindings are read once, at child creation, not per call; later changes to the object do not show', async () => {
    let reads = 0
    const bindings = {
      get req() {
        reads++
        return 'r1'
      },
      user: 'ann',
    }
    const { json, text } = await run({}, (m) => {
      const child = m.getLogger('app').child(bindings)
      const readsAtCreation = reads
      for (let i = 0; i < 100; i++) child.info({ i }, 'call')
      expect(reads).toBe(readsAtCreation)
      child.child({ user: 'bob' }).info('grandchild')
    })
    expect(json[0]).toEqual({ level: 30, name: 'app', req: 'r1', user: 'ann', i: 0, msg: 'call' })
    expect(json[100]).toEqual({ level: 30, name: 'app', req: 'r1', user: 'bob', msg: 'grandchild' })
    expect(text[100]).toBe('INFO grandchild req=r1 user=bob')
  })
})

describe('redact', () => {
  it('censors paths in fields and bindings, with wildcards and quoted keys, without touching the caller objects', async () => {
    const req = { headers: { authorization: 'Bearer secret', host: 'h' }, url: '/x' }
    const users = [{ name: 'a', password: 'p1' }, { name: 'b', password: 'p2' }]
    const { json, text } = await run({ redact: ['req.headers.authorization', 'users[*].password', 'meta["api-key"]', 'token'] }, (m) => {
      const log = m.getLogger('app')
      log.info({ req, users, meta: { 'api-key': 'k', other: 1 }, ok: 1 }, 'in')
      log.child({ token: 't0' }).info('child')
      log.info({ token: undefined, nothing: null }, 'absent paths stay absent')
    })
    expect(json[0]).toEqual({
      level: 30,
      name: 'app',
      req: { headers: { authorization: '[Redacted]', host: 'h' }, url: '/x' },
      users: [{ name: 'a', password: '[Redacted]' }, { name: 'b', password: '[Redacted]' }],
      meta: { 'api-key': '[Redacted]', other: 1 },
      ok: 1,
      msg: 'in',
    })
    expect(json[1]).toMatchObject({ token: '[Redacted]', msg: 'child' })
    expect(json[2]).toEqual({ level: 30, name: 'app', nothing: null, msg: 'absent paths stay absent' })
    expect(text[1]).toBe('INFO child token=[Redacted]')
    expect(req.headers.authorization).toBe('Bearer secret')
    expect(users[0]?.password).toBe('p1')
  })

  it('censor and remove options; a malformed path is a config error naming it', async () => {
    const { json } = await run({ redact: { paths: ['a.b'], censor: '***' } }, (m) => m.getLogger('app').info({ a: { b: 1, c: 2 } }, 'x'))
    expect(json[0]?.a).toEqual({ b: '***', c: 2 })
    const removed = await run({ redact: { paths: ['a.b', 'top'], remove: true } }, (m) => m.getLogger('app').info({ a: { b: 1, c: 2 }, top: 1 }, 'x'))
    expect(removed.json[0]).toEqual({ level: 30, name: 'app', a: { c: 2 }, msg: 'x' })
    const sink = join(base, 'bad.log')
    expect(() => new LogManager({ handlers: { h: { sink } }, loggers: { app: { handlers: ['h'], redact: ['a..b'] } } })).toThrow(/loggers\.app\.redact\[0\]: "a\.\.b" is not a redact path/)
    expect(() => new LogManager({ handlers: { h: { sink } }, loggers: { app: { handlers: ['h'], redact: 'a.b' as never } } })).toThrow(/loggers\.app\.redact: must be a list of paths/)
  })
})
