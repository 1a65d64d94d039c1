// `logferry cat` run as a child process (the built dist/cli.js): prints every record of text and
// framed files, verifies the framed checksums and, on corruption, prints what comes before the
// damage, names the byte offset and exits 1 (README).
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Logger } from '../../dist/index.js'
import { runNode, type Run } from './run-child.js'

const CLI = resolve('dist/cli.js')
const base = mkdtempSync(join(tmpdir(), 'logferry-cat-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))
let dirs = 0

function cat(files: string[]): Promise<Run> {
  return runNode([CLI, 'cat', ...files])
}

const line = (name: string, i: number): string => `${name} record ${i} ${'x'.repeat(i % 41)}`

/** One sealed file of `n` records (framed: many 8 KiB blocks). */
async function logFile(name: string, format: 'text' | 'framed', n: number): Promise<{ path: string; lines: string[] }> {
  const dir = join(base, `d${++dirs}`)
  const l = new Logger({ logFilePath: join(dir, `${name}.log`), format, bufferSize: 16 * 1024, numShards: 1, preallocateFileSize: 0 })
  const lines = Array.from({ length: n }, (_, i) => line(name, i))
  for (const s of lines) l.log(s)
  await l.close()
  const files = readdirSync(dir)
  expect(files).toHaveLength(1)
  return { path: join(dir, files[0]!), lines }
}

/** Offsets of the framed blocks of a file and each block's record count (docs/format.md). */
function blocks(bytes: Buffer): { offset: number; records: number }[] {
  const out: { offset: number; records: number }[] = []
  for (let o = 0; o + 32 <= bytes.length; o += 4096) {
    if (bytes.subarray(o, o + 4).toString() === 'LFB1') out.push({ offset: o, records: bytes.readUInt32LE(o + 20) })
  }
  return out
}

describe('logferry cat', () => {
  it('prints every record of a text file and a framed file, in order, and exits 0', async () => {
    const text = await logFile('text', 'text', 3000)
    const framed = await logFile('framed', 'framed', 3000)
    expect(blocks(readFileSync(framed.path)).length).toBeGreaterThan(5)
    const r = await cat([text.path, framed.path])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toBe([...text.lines, ...framed.lines].map((s) => `${s}\n`).join(''))
  })

  it('a damaged framed block: the records before it are printed, the offset named, exit 1; the next file is still printed', async () => {
    const framed = await logFile('bad', 'framed', 3000)
    const after = await logFile('after', 'text', 50)
    const bytes = readFileSync(framed.path)
    const all = blocks(bytes)
    // A block in the middle (a damaged last block would read as a torn tail).
    const damaged = all[Math.floor(all.length / 2)]!
    bytes[damaged.offset + 32 + 10] ^= 0xff // a payload byte: only the block's CRC32C can tell
    writeFileSync(framed.path, bytes)
    const before = all.filter((b) => b.offset < damaged.offset).reduce((n, b) => n + b.records, 0)
    expect(before).toBeGreaterThan(0)

    const r = await cat([framed.path, after.path])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(new RegExp(`${framed.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ERR_CORRUPT: .*offset ${damaged.offset}\\b`))
    expect(r.stdout).toBe([...framed.lines.slice(0, before), ...after.lines].map((s) => `${s}\n`).join(''))
  })
})
