/**
 * The benchmark's writer, in its own process: appends RATE lines/s to FILE for SECONDS, in
 * ticks of 10 ms (one write per tick), each line starting with its append time in epoch ms
 * (performance.timeOrigin + now: comparable across processes). RATE 0: as fast as it can
 * (MiB given by --flood-mib), for the memory phase. Prints `done <lines>` and exits.
 *
 *   tsx benches/tail/writer.ts FILE RATE SECONDS [FLOOD_MIB]
 */
import { openSync, writeSync } from 'node:fs'
import { performance } from 'node:perf_hooks'

const [file, rateArg, secondsArg, floodArg] = process.argv.slice(2) as [string, string, string, string?]
const rate = Number(rateArg)
const seconds = Number(secondsArg)
const fd = openSync(file, 'a')
const pad = 'x'.repeat(60)
const now = (): number => performance.timeOrigin + performance.now()
let seq = 0
const line = (t: number): string => `${t.toFixed(3)} seq=${seq++} level=INFO msg="request handled" ${pad}\n`

if (rate === 0) {
  const target = Number(floodArg ?? 256) * 1024 * 1024
  let written = 0
  while (written < target) {
    const parts: string[] = []
    for (let i = 0; i < 10_000; i++) parts.push(line(now()))
    written += writeSync(fd, parts.join(''))
  }
} else {
  const perTick = Math.max(1, Math.round(rate / 100))
  const start = now()
  const ticks = Math.round(seconds * 100)
  for (let k = 0; k < ticks; k++) {
    const due = start + k * 10
    const wait = due - now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    const parts: string[] = []
    const t = now()
    for (let i = 0; i < perTick; i++) parts.push(line(t))
    writeSync(fd, parts.join(''))
  }
}
process.stdout.write(`done ${seq}\n`)
