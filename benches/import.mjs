#!/usr/bin/env node
// Import cost: how long `import('logferry')` takes and how much memory the process holds after
// it, beside pino and a bare Node, each measured in fresh child processes in the same run
// (medians of --runs, interleaved so machine load hits every subject alike).
// Reads the built package (dist/, `npm run build:ts`); writes benches/results/import.md.
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : def
}
const runs = Number(arg('runs', 15))
const TARGET_MS = 60
const TARGET_RSS_MB = 40

// The child imports inside the package directory, so 'logferry' resolves to this package's
// own exports (self-reference) and 'pino' to node_modules.
const probe = (spec, pick) => `
const t0 = performance.now()
const m = ${spec === null ? '{}' : `await import(${JSON.stringify(spec)})`}
${pick ? `if (typeof m.${pick} !== 'function') throw new Error('${pick} missing')` : ''}
const ms = performance.now() - t0
process.stdout.write(JSON.stringify({ ms, rss: process.memoryUsage().rss }))
`
const subjects = [
  { name: 'node (nothing imported)', code: probe(null) },
  { name: 'pino', code: probe('pino', 'default') },
  { name: "logferry: import { Logger } from 'logferry'", code: probe('logferry', 'Logger'), target: true },
  { name: "logferry/storage (no backend used)", code: probe('logferry/storage', 'filesystem') },
  { name: "logferry/transfer", code: probe('logferry/transfer', 'transferFiles') },
]

const samples = subjects.map(() => [])
for (let r = 0; r < runs; r++) {
  subjects.forEach((s, i) => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', s.code], { cwd: join(here, '..'), encoding: 'utf8' })
    samples[i].push(JSON.parse(out))
  })
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}
const base = median(samples[0].map((x) => x.rss)) / 2 ** 20
const rows = subjects.map((s, i) => {
  const ms = median(samples[i].map((x) => x.ms))
  const rss = median(samples[i].map((x) => x.rss)) / 2 ** 20
  const added = rss - base
  const verdict = s.target ? ` ${ms < TARGET_MS && added < TARGET_RSS_MB ? 'met' : 'MISSED'} (< ${TARGET_MS} ms, < ${TARGET_RSS_MB} MB added)` : ''
  process.stderr.write(`${s.name}: ${ms.toFixed(1)} ms, RSS ${rss.toFixed(1)} MB (+${added.toFixed(1)})${verdict}\n`)
  return `| ${s.name} | ${ms.toFixed(1)} | ${rss.toFixed(1)} | ${added.toFixed(1)} |${verdict} |`
})
const md = [
  '# Import cost',
  '',
  `${new Date().toISOString()} — Node ${process.version}, median of ${runs} fresh processes per row, interleaved.`,
  'Time: the dynamic `import()` of the module, measured inside the child. RSS: resident memory after it;',
  '"added" is RSS minus the bare Node row (what importing the module costs).',
  '',
  '| module | import ms | RSS MB | added MB | target |',
  '|---|---:|---:|---:|---|',
  ...rows,
  '',
]
writeFileSync(join(here, 'results', 'import.md'), md.join('\n'))
