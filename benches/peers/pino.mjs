// pino with its async destination, as its docs recommend for speed.
import { join } from 'node:path'
import pino from 'pino'
import { drive, report } from './common.mjs'

const [, , , dir, linesArg] = process.argv
const file = join(dir, 'pino.log')
const dest = pino.destination({ dest: file, sync: false, minLength: 4096 })
const logger = pino({ base: { pid: 4242, hostname: 'bench' }, timestamp: () => ',"time":1764000000000' }, dest)
await new Promise((r) => dest.on('ready', r))
const result = await drive({
  lines: Number(linesArg),
  // pino formats the JSON itself: hand it the fields, not the finished line.
  write: (_m, i) => logger.info({ req: i, ms: i % 997 }, 'request handled'),
  finish: () => new Promise((resolve) => { dest.on('close', resolve); dest.end() }),
})
report(result, file)
