#!/usr/bin/env node
// Many busy events: resident memory (RSS from /proc, not virtual size: buffers are mmapped
// and touched lazily) of a LoggerManager with 10 and 100 events all writing, under the
// default buffer budget (maxBufferBytes 1 GiB), beside the same events without a budget
// (maxBufferBytes 1 TiB: what they filled before the budget) and beside pino with one
// sonic-boom destination per event, each in a fresh child process in the same run.
// Every event writes `--mib` MiB (default 20: more than both 8 MiB shard buffers a thread
// fills). Reads the built package (dist/, `npm run build:ts`); writes benches/results/events.md.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : def
}
const MIB = 2 ** 20
const perEventMiB = Number(arg('mib', 20))
const BUDGET = 2 ** 30

// One child: baseline RSS, then every event writes round-robin (100 records at a time) until
// each has written perEventMiB; peak (VmHWM) and current RSS just before close.
const child = (subject, events, dir) => `
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
const status = (k) => Number(new RegExp(k + ':\\\\s+(\\\\d+) kB').exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024
const rec = 'x'.repeat(1000)
const events = ${events}, perEvent = ${perEventMiB} * 2 ** 20, dir = ${JSON.stringify(dir)}
const names = Array.from({ length: events }, (_, i) => 'event' + i)
let write, close
if (${JSON.stringify(subject)} === 'pino') {
  const { default: pino } = await import('pino')
  const loggers = names.map((n) => pino({ base: null, timestamp: false }, pino.destination({ dest: join(dir, n + '.log'), sync: false, mkdir: true })))
  write = (i) => loggers[i].info(rec)
  close = () => Promise.all(loggers.map((l) => new Promise((r) => l.flush(() => r()))))
} else {
  const { LoggerManager } = await import('logferry')
  const m = new LoggerManager({ logFilePath: join(dir, 'app.log'), ${subject === 'none' ? `maxBufferBytes: ${2 ** 40}` : ''} })
  for (const n of names) m.initializeEventLogger(n)
  write = (i) => m.logWithEvent(names[i], rec)
  close = () => m.close()
}
const base = process.memoryUsage().rss
const t0 = performance.now()
for (let written = 0; written < perEvent; written += 100 * rec.length) {
  for (let i = 0; i < events; i++) for (let k = 0; k < 100; k++) write(i)
  await new Promise((r) => setImmediate(r))
}
await new Promise((r) => setTimeout(r, 200))
const rss = status('VmRSS'), peak = status('VmHWM'), secs = (performance.now() - t0) / 1000
await close()
process.stdout.write(JSON.stringify({ base, rss, peak, secs }))
`

const subjects = [
  { key: 'budget', name: 'logferry, default budget (1 GiB)' },
  { key: 'none', name: 'logferry, no budget (maxBufferBytes 1 TiB)' },
  { key: 'pino', name: 'pino + sonic-boom, one destination per event' },
]
const mb = (b) => `${(b / MIB).toFixed(0)} MB`
const lines = [
  `# Many busy events: resident memory`,
  '',
  `${new Date().toISOString()}, node ${process.version}; each event writes ${perEventMiB} MiB of 1000-byte records from one thread.`,
  `RSS = VmRSS of the whole process just before close, peak = VmHWM; baseline = RSS after setup (events opened), before writing.`,
  `Target: logferry with the default budget stays within baseline + maxBufferBytes (1 GiB).`,
  '',
  '| events | subject | RSS | peak | baseline | target | verdict | write time |',
  '| ---: | --- | ---: | ---: | ---: | ---: | --- | ---: |',
]
let failed = false
for (const events of [10, 100]) {
  for (const s of subjects) {
    const dir = mkdtempSync(join(tmpdir(), 'logferry-bench-events-'))
    try {
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', child(s.key, events, dir)], { cwd: join(here, '..'), encoding: 'utf8', maxBuffer: 1 << 20 })
      const r = JSON.parse(out)
      const target = s.key === 'budget' ? r.base + BUDGET : undefined
      const ok = target === undefined ? '' : r.peak <= target ? 'within' : 'OVER'
      if (ok === 'OVER') failed = true
      lines.push(`| ${events} | ${s.name} | ${mb(r.rss)} | ${mb(r.peak)} | ${mb(r.base)} | ${target === undefined ? '' : `<= ${mb(target)}`} | ${ok} | ${r.secs.toFixed(1)} s |`)
      console.log(lines.at(-1))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
lines.push('', 'With one JS thread each event fills one shard (thread shard selection): without a budget that is 2 x 8 MiB per event;', 'with it the share is min(8 MiB, 1 GiB / events / 16) per shard buffer (docs/engine.md, "Buffer budget").', '')
writeFileSync(join(here, 'results', 'events.md'), lines.join('\n'))
console.log(`\nwritten to benches/results/events.md`)
if (failed) process.exitCode = 1
