import { join } from 'node:path'
import SonicBoom from 'sonic-boom'
import { drive, report } from './common.mjs'

const [, , , dir, linesArg] = process.argv
const file = join(dir, 'sonic.log')
const dest = new SonicBoom({ dest: file, sync: false, minLength: 4096 })
await new Promise((r) => dest.on('ready', r))
const result = await drive({
  lines: Number(linesArg),
  write: (m) => dest.write(m + '\n'),
  finish: () => new Promise((resolve) => { dest.on('close', resolve); dest.end() }),
})
report(result, file)
