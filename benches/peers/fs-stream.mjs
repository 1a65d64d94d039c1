import { createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { drive, report } from './common.mjs'

const [, , , dir, linesArg] = process.argv
const file = join(dir, 'stream.log')
const s = createWriteStream(file)
const result = await drive({
  lines: Number(linesArg),
  write: (m) => s.write(m + '\n'),
  finish: () => new Promise((resolve) => s.end(resolve)),
})
report(result, file)
