// Which format a file is read as (docs/format.md): a text log's content never makes it read as
// framed — text whose first record starts with the framed magic, with the magic followed by the
// NUL bytes of a real header, an empty file — through readLogFileSync, readLogFile and
// `logferry cat`; framed files are still read as framed, and one whose first header is damaged
// is still reported corrupt at offset 0.
import { spawn } from 'node:child_process'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Logger, readLogFile, readLogFileSync } from '../../dist/index.js'
import { removeDir, tempDir, textRecord } from './helpers.js'

const CLI = resolve('dist/cli.js')
const dirs: string[] = []
afterAll(() => dirs.forEach(removeDir))

function cat(file: string): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, 'cat', file], { stdio: ['ignore', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    child.on('error', fail)
    child.on('close', (code) => done({ code, stdout: Buffer.concat(out), stderr }))
  })
}

/** A sealed file of `records` written by a logger of `format`. */
async function logFile(format: 'text' | 'framed', records: Buffer[]): Promise<string> {
  const dir = tempDir('logferry-detect-')
  dirs.push(dir)
  const l = new Logger({ logFilePath: join(dir, 'app.log'), format, bufferSize: 16 * 1024, numShards: 1, preallocateFileSize: 0 })
  for (const r of records) expect(l.logBytes(r)).toBe(true)
  await l.close()
  const files = readdirSync(dir)
  expect(files).toHaveLength(1)
  return join(dir, files[0]!)
}

async function expectText(file: string, records: Buffer[]): Promise<void> {
  const r = readLogFileSync(file)
  expect(r.format).toBe('text')
  expect(r.tornTail).toBeUndefined()
  expect(r.records).toEqual(records)
  const streamed: Buffer[] = []
  for await (const rec of readLogFile(file)) streamed.push(rec)
  expect(streamed).toEqual(records)
  const c = await cat(file)
  expect(c.stderr).toBe('')
  expect(c.code).toBe(0)
  expect(c.stdout.equals(Buffer.concat(records.flatMap((x) => [x, Buffer.from('\n')])))).toBe(true)
}

const lines = (n: number): Buffer[] => Array.from({ length: n }, (_, i) => Buffer.from(textRecord(i)))

describe('format detection', () => {
  it('a text log whose first record starts with the framed magic is read as text', async () => {
    const records = [Buffer.from('LFB1 starts this line'), ...lines(2000), Buffer.from('LFB1')]
    await expectText(await logFile('text', records), records)
  })

  it('so is one whose first record is the magic and the NUL bytes of a real header, and records with NULs', async () => {
    const first = Buffer.concat([Buffer.from('LFB1'), Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]), Buffer.from(' after NULs \0 x')])
    const records = [first, Buffer.from([0, 0, 0]), ...lines(2000), Buffer.from('\0LFB1\0')]
    await expectText(await logFile('text', records), records)
  })

  it('an empty file and a file of only the magic are text', async () => {
    const dir = tempDir('logferry-detect-')
    dirs.push(dir)
    const empty = join(dir, 'empty.log')
    writeFileSync(empty, '')
    await expectText(empty, [])
    const magic = join(dir, 'magic.log')
    writeFileSync(magic, 'LFB1\n')
    await expectText(magic, [Buffer.from('LFB1')])
  })

  it('framed files are still framed; a damaged first header is corruption at offset 0', async () => {
    const records = lines(2000)
    const file = await logFile('framed', records)
    const r = readLogFileSync(file)
    expect(r.format).toBe('framed')
    expect(r.records).toEqual(records)
    const good = readFileSync(file)
    expect(good.length).toBeGreaterThan(2 * 16 * 1024)
    const bad = Buffer.from(good)
    bad[9]! ^= 0x10 // the header's sequence number: its checksum no longer matches
    writeFileSync(file, bad)
    expect(() => readLogFileSync(file)).toThrow(expect.objectContaining({ code: 'ERR_CORRUPT', message: expect.stringContaining('offset 0:') }))
    const c = await cat(file)
    expect(c.code).toBe(1)
    expect(c.stderr).toMatch(/ERR_CORRUPT: .*offset 0:/)
    expect(c.stdout.length).toBe(0)
  })
})
