// logferry peer: mode log | batch | bytes.
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { drive, message } from './common.mjs'

const [, , mode, dir, linesArg, bufferArg] = process.argv
const lines = Number(linesArg)
const { Logger } = await import(new URL('../../dist/index.js', import.meta.url).href)
const logger = new Logger({ logFilePath: join(dir, 'logferry.log'), bufferSize: Number(bufferArg), maxFileSize: 8 * 2 ** 30, preallocateFileSize: 2 ** 30 })
let result
if (mode === 'batch') {
  const B = 1000
  let batch = []
  result = await drive({
    lines,
    write: (m) => {
      batch.push(m)
      if (batch.length === B) {
        logger.logBatch(batch)
        batch = []
      }
    },
    finish: async () => {
      if (batch.length) logger.logBatch(batch)
      await logger.close()
    },
  })
} else if (mode === 'bytes') {
  result = await drive({
    lines,
    write: (m) => logger.logBytes(Buffer.from(m)),
    finish: () => logger.close(),
  })
} else {
  result = await drive({ lines, write: (m) => logger.log(m), finish: () => logger.close() })
}
const stats = logger.getStats()
const bytes = readdirSync(dir).filter((f) => f.startsWith('logferry')).reduce((a, f) => a + statSync(join(dir, f)).size, 0)
if (stats.totalLogs !== lines) throw new Error(`accounting: ${stats.totalLogs} of ${lines}`)
void message
process.stdout.write(JSON.stringify({ ...result, bytes, peakRssMB: process.resourceUsage().maxRSS / 1024 }) + '\n')
