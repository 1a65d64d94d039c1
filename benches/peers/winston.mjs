import { join } from 'node:path'
import winston from 'winston'
import { drive, report } from './common.mjs'

const [, , , dir, linesArg] = process.argv
const file = join(dir, 'winston.log')
const transport = new winston.transports.File({ filename: file })
const logger = winston.createLogger({ format: winston.format.json(), transports: [transport] })
const result = await drive({
  lines: Number(linesArg),
  write: (_m, i) => logger.info('request handled', { req: i, ms: i % 997 }),
  finish: () => new Promise((resolve) => { transport.on('finish', resolve); logger.end() }),
})
report(result, file)
