// logferry's LogManager, one handler: mode `json` (format: 'json', pino's line shape) or
// `template` (the default template, "{time} | {level} | {name} | {message}{extra}").
import { join } from 'node:path'
import { driveStructured, reportStructured } from './structured-common.mjs'

const [, , mode, dir, linesArg] = process.argv
const { LogManager } = await import(new URL('../../dist/index.js', import.meta.url).href)
const manager = new LogManager({
  handlers: { app: { sink: join(dir, 'app.log'), ...(mode === 'json' ? { format: 'json' } : {}) } },
  loggers: { app: { handlers: ['app'] } },
})
const log = manager.getLogger('app')
const result = await driveStructured({
  lines: Number(linesArg),
  call: (ms, path, user, i) => log.info('request done', { ms, path, user, i }),
  finish: () => manager.close(),
})
reportStructured(result, dir)
