// Shared driver for one peer: N lines of the same messages, latency sampled every 64th call.
export function message(i) {
  return `{"level":30,"time":1764000000000,"pid":4242,"hostname":"bench","req":${i},"msg":"request handled","ms":${i % 997}}`
}

export async function drive({ lines, write, finish }) {
  const samples = []
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < lines; i++) {
    if ((i & 63) === 0) {
      const s = process.hrtime.bigint()
      write(message(i), i)
      samples.push(Number(process.hrtime.bigint() - s))
    } else {
      write(message(i), i)
    }
  }
  await finish()
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  samples.sort((a, b) => a - b)
  const q = (p) => samples[Math.min(samples.length - 1, Math.floor(samples.length * p))] ?? 0
  return { lines, seconds, p50ns: q(0.5), p99ns: q(0.99) }
}

export function report(result, file) {
  const { statSync } = process.getBuiltinModule ? process.getBuiltinModule('node:fs') : require('node:fs')
  const bytes = statSync(file, { throwIfNoEntry: false })?.size ?? 0
  const out = { ...result, bytes, peakRssMB: process.resourceUsage().maxRSS / 1024 }
  process.stdout.write(JSON.stringify(out) + '\n')
}
