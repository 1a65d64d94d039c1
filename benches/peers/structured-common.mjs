// Shared driver for the structured rows: N calls of info('request done', { ms, path, user, i }),
// latency sampled every 64th call, timed until the file is closed.
import { statSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

export const PATHS = ['/api/users', '/api/orders/17', '/health', '/api/search?q=a%20b']
export const USERS = ['alice', 'bob', 'carol', 'dave', 'eve']

export async function driveStructured({ lines, call, finish }) {
  const samples = []
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < lines; i++) {
    if ((i & 63) === 0) {
      const s = process.hrtime.bigint()
      call(i % 997, PATHS[i & 3], USERS[i % 5], i)
      samples.push(Number(process.hrtime.bigint() - s))
    } else {
      call(i % 997, PATHS[i & 3], USERS[i % 5], i)
    }
  }
  await finish()
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  samples.sort((a, b) => a - b)
  const q = (p) => samples[Math.min(samples.length - 1, Math.floor(samples.length * p))] ?? 0
  return { lines, seconds, p50ns: q(0.5), p99ns: q(0.99) }
}

/** Bytes of every file in `dir` (rotated ones too), peak RSS and CPU time. */
export function reportStructured(result, dir) {
  const bytes = readdirSync(dir).reduce((a, f) => a + statSync(join(dir, f)).size, 0)
  const u = process.resourceUsage()
  // CPU of the whole process (every thread, start-up included): a figure the machine's load moves less than wall time.
  process.stdout.write(JSON.stringify({ ...result, bytes, peakRssMB: u.maxRSS / 1024, cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6 }) + '\n')
}
