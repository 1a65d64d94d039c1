/** structuredLogger(): one JSON logger on one file without a config, over the real engine. */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDirs } from '../temp-dirs.js'
import { sealedFilesOf, structuredLogger } from '../../ts/index.js'

const { base } = tempDirs('logferry-slog-')

async function lines(sink: string): Promise<string[]> {
  const files = (await sealedFilesOf(sink)).map((f) => f.path)
  if (existsSync(sink)) files.push(sink)
  return files.map((f) => readFileSync(f, 'utf8')).join('').split('\n').slice(0, -1)
}

describe('structuredLogger()', () => {
  it('writes JSON lines with its json options, level and redaction; flush and close', async () => {
    const sink = join(base, 'api.log')
    const log = structuredLogger({ sink, name: 'api', level: 'debug', json: { time: false, base: null, levels: 'label' }, redact: ['token'] })
    log.trace('below the level')
    log.debug({ token: 's3cret', n: 1 }, 'hello')
    log.child({ req: 'r1' }).info('from child')
    await log.flush()
    expect(readFileSync(sink, 'utf8')).toBe('{"level":"debug","name":"api","token":"[Redacted]","n":1,"msg":"hello"}\n{"level":"info","name":"api","req":"r1","msg":"from child"}\n')
    await log.close()
    expect(await lines(sink)).toHaveLength(2)
    expect(() => log.info('after close')).toThrow(expect.objectContaining({ code: 'ERR_LOGGER_CLOSED' }))
  })

  it('a template format, and config errors naming the key', async () => {
    const sink = join(base, 't.log')
    const log = structuredLogger({ sink, format: '{level} {message}{extra}' })
    log.warn('w', { a: 1 })
    await log.close()
    expect(await lines(sink)).toEqual(['WARN w a=1'])
    expect(() => structuredLogger({ sink: join(base, 'x.log'), rotation: '1 KB' })).toThrow(/handlers\.app\.rotation: "1 KB" is below the smallest rotation size/)
  })
})
