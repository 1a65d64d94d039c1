#!/usr/bin/env node
// Benchmark harness: logferry vs pino, sonic-boom, winston and fs.createWriteStream.
// Same messages, same disk, same run, each peer in its own child process.
// Raw rows: finished lines. Structured rows: info('request done', { ms, path, user, i }) calls,
// formatted by the logger (logferry's JSON and template formats, pino, pino through logferry's
// destination). `--only raw|structured` runs one table
// (`--only structured` writes benches/results/structured.md).
// Writes benches/results/latest.md (tables) and benches/results/latest.svg (chart of the raw rows).
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : def
}
const lines = Number(arg('lines', 2_000_000))
const bufferSize = Number(arg('buffer-size', 64 * 2 ** 20))
const structuredLines = Number(arg('structured-lines', 1_000_000))
const only = arg('only', 'all')
// Structured rows run this many rounds, peers interleaved; each row shows its best round (the
// machine's load only ever slows a round down).
const repeat = Math.max(1, Number(arg('repeat', 3)))
const scratch = arg('dir', join(here, 'results', 'tmp'))
const outDir = join(here, 'results')
mkdirSync(scratch, { recursive: true })

const peers = only === 'structured' ? [] : [
  { name: 'pino (async destination)', script: 'pino.mjs', mode: '-', lines },
  { name: 'logferry log()', script: 'logferry.mjs', mode: 'log', lines, target: 10 },
  { name: 'logferry logBatch()', script: 'logferry.mjs', mode: 'batch', lines, target: 15 },
  { name: 'logferry logBytes()', script: 'logferry.mjs', mode: 'bytes', lines },
  { name: 'sonic-boom', script: 'sonic-boom.mjs', mode: '-', lines },
  { name: 'fs.createWriteStream', script: 'fs-stream.mjs', mode: '-', lines },
  { name: 'winston (file transport)', script: 'winston.mjs', mode: '-', lines: Math.min(lines, 300_000) },
]

const structuredPeers = only === 'raw' ? [] : [
  { name: 'pino, pino.destination (sonic-boom, sync: false, minLength 4096)', script: 'structured-pino.mjs', mode: 'sonic-boom', lines: structuredLines },
  { name: "logferry LogManager, format: 'json'", script: 'structured-logferry.mjs', mode: 'json', lines: structuredLines, target: 5 },
  { name: 'logferry LogManager, template format', script: 'structured-logferry.mjs', mode: 'template', lines: structuredLines, target: 5 },
  { name: 'pino, logferry destination()', script: 'structured-pino.mjs', mode: 'logferry', lines: structuredLines, target: 1 },
]

function runPeer(p) {
  const dir = mkdtempSync(join(scratch, 'run-'))
  try {
    const out = execFileSync(process.execPath, [join(here, 'peers', p.script), p.mode, dir, String(p.lines), String(bufferSize)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 20,
    })
    const r = JSON.parse(out.trim().split('\n').pop())
    process.stderr.write(`${p.name}: ${(r.lines / r.seconds / 1e6).toFixed(2)} M lines/s\n`)
    return { ...p, ...r, linesPerSec: r.lines / r.seconds, mbPerSec: r.bytes / r.seconds / 1e6 }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const results = peers.map(runPeer)
const rounds = structuredPeers.map(() => [])
for (let k = 0; k < repeat; k++) structuredPeers.forEach((p, i) => rounds[i].push(runPeer(p)))
const structured = rounds.map((rs) => rs.reduce((best, r) => (r.linesPerSec > best.linesPerSec ? r : best)))

const row = (r, ratio, rss) => {
  const target = r.target ? `>= ${r.target}x: ${ratio >= r.target ? 'met' : 'MISSED'}` : ''
  return `| ${r.name} | ${r.lines.toLocaleString('en')} | ${(r.linesPerSec / 1e6).toFixed(3)} | ${r.mbPerSec.toFixed(0)} | ${rss} | ${(r.p50ns / 1000).toFixed(2)} | ${(r.p99ns / 1000).toFixed(2)} | ${ratio.toFixed(2)}x | ${target} |`
}
const header = ['| peer | lines | M lines/s | MB/s | peak RSS MB | p50 µs/call | p99 µs/call | vs pino | target |', '|---|---:|---:|---:|---:|---:|---:|---:|---|']
const structuredSection = structured.length === 0 ? [] : [
  '## Structured logging',
  '',
  `${new Date().toISOString()} — ${structuredLines.toLocaleString('en')} calls of info('request done', { ms, path, user, i }) per peer, each in its own process, formatted by the logger, timed until the file is closed. pino: defaults (level, time, pid, hostname), pino.destination({ sync: false, minLength: 4096 }). logferry: one LogManager handler with its defaults. The last row is pino formatting, logferry writing; it is compared with the first.`,
  '',
  ...header,
  ...structured.map((r) => row(r, r.linesPerSec / structured[0].linesPerSec, r.peakRssMB.toFixed(0))),
  '',
  `Best of ${repeat} interleaved rounds per row. Every round, lines/s and process CPU seconds (all threads, start-up included):`,
  '',
  ...structuredPeers.map((p, i) => `- ${p.name}: ${rounds[i].map((r) => `${(r.linesPerSec / 1e6).toFixed(3)} M/s (${r.cpuSeconds.toFixed(2)} CPU s)`).join(', ')}`),
  '',
]

if (results.length === 0) {
  const md = ['# logferry benchmark', '', `${new Date().toISOString()} — Node ${process.version}.`, '', ...structuredSection].join('\n')
  writeFileSync(join(outDir, 'structured.md'), md)
  process.stdout.write(md)
  process.exit(0)
}

const pino = results.find((r) => r.script === 'pino.mjs')
const rssLimit = (2 * bufferSize) / 2 ** 20 + 100
const rows = results.map((r) => {
  const rss = r.script === 'logferry.mjs' ? `${r.peakRssMB.toFixed(0)} (limit ${rssLimit.toFixed(0)}: ${r.peakRssMB <= rssLimit ? 'met' : 'MISSED'})` : r.peakRssMB.toFixed(0)
  return row(r, r.linesPerSec / pino.linesPerSec, rss)
})
const md = [
  `# logferry benchmark`,
  '',
  `${new Date().toISOString()} — Node ${process.version}, ${lines.toLocaleString('en')} lines of ~110 bytes per peer (winston: fewer), bufferSize ${bufferSize / 2 ** 20} MiB, end to end (timed until the file is closed).`,
  '',
  ...header,
  ...rows,
  '',
  ...structuredSection,
].join('\n')
writeFileSync(join(outDir, 'latest.md'), md)

// Bar chart of lines/s.
const W = 760, rowH = 34, left = 220, H = results.length * rowH + 60
const max = Math.max(...results.map((r) => r.linesPerSec))
const bars = results.map((r, i) => {
  const w = ((W - left - 120) * r.linesPerSec) / max
  const y = 40 + i * rowH
  const color = r.script === 'logferry.mjs' ? '#2b7bb9' : '#999'
  return `<text x="${left - 8}" y="${y + 20}" text-anchor="end" font-size="13">${r.name}</text>` +
    `<rect x="${left}" y="${y + 5}" width="${w.toFixed(1)}" height="22" fill="${color}"/>` +
    `<text x="${left + w + 6}" y="${y + 21}" font-size="12">${(r.linesPerSec / 1e6).toFixed(2)} M/s (${(r.linesPerSec / pino.linesPerSec).toFixed(1)}x pino)</text>`
}).join('\n')
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${W / 2}" y="24" text-anchor="middle" font-size="15">Lines per second, end to end to disk (higher is better)</text>
${bars}
</svg>
`
writeFileSync(join(outDir, 'latest.svg'), svg)
process.stdout.write(md)
