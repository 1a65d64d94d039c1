// pino as its docs recommend for speed: pino.destination({ sync: false, minLength: 4096 }) (sonic-boom).
// mode `sonic-boom`: that destination; mode `logferry`: logferry's pino destination.
import { join } from 'node:path'
import pino from 'pino'
import { driveStructured, reportStructured } from './structured-common.mjs'

const [, , mode, dir, linesArg] = process.argv
const file = join(dir, 'pino.log')
let dest
if (mode === 'logferry') {
  const { destination } = await import(new URL('../../dist/pino/index.js', import.meta.url).href)
  dest = destination({ logFilePath: file })
} else {
  dest = pino.destination({ dest: file, sync: false, minLength: 4096 })
  await new Promise((r) => dest.on('ready', r))
}
const logger = pino(dest)
const result = await driveStructured({
  lines: Number(linesArg),
  call: (ms, path, user, i) => logger.info({ ms, path, user, i }, 'request done'),
  finish: () => new Promise((resolve) => { dest.on('close', resolve); dest.end() }),
})
reportStructured(result, dir)
