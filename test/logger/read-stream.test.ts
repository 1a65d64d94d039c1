// readLogFile streams in batches: every record in order, torn tails reported, corruption
// thrown with its offset, the file released when the loop stops early.
import { readdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Logger, readLogFile, type LogferryError } from '../../dist/index.js'
import { binaryRecord, removeDir, tempDir, textRecord } from './helpers.js'

const dirs: string[] = []
afterAll(() => dirs.forEach(removeDir))

/** How many of this process's file descriptors are open on `path` (Linux /proc). */
function descriptorsOf(path: string): number {
  const target = realpathSync(path)
  let n = 0
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === target) n++
    } catch {
      // closed between the listing and the readlink (e.g. the listing's own descriptor)
    }
  }
  return n
}

async function writeFile(format: 'text' | 'framed', n: number, bufferSize = 1 << 20): Promise<string> {
  const dir = tempDir()
  dirs.push(dir)
  const logger = new Logger({ logFilePath: join(dir, 's.log'), format, bufferSize, numShards: 2 })
  for (let i = 0; i < n; i++) {
    if (format === 'text') logger.log(textRecord(i))
    else logger.logBytes(binaryRecord(i))
  }
  await logger.close()
  const files = readdirSync(dir)
  expect(files).toHaveLength(1)
  return join(dir, files[0]!)
}

describe('readLogFile (streaming)', () => {
  it.each(['text', 'framed'] as const)('yields 50k %s records in order across many batches', async (format) => {
    const path = await writeFile(format, 50_000)
    let i = 0
    for await (const rec of readLogFile(path)) {
      const want = format === 'text' ? Buffer.from(textRecord(i)) : binaryRecord(i)
      expect(rec.equals(want)).toBe(true)
      i++
    }
    expect(i).toBe(50_000)
  })

  it('reports a torn tail through onTornTail and does not yield it', async () => {
    const path = await writeFile('text', 10)
    writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.from('half a rec')]))
    let torn: number | undefined
    const recs: Buffer[] = []
    for await (const r of readLogFile(path, { onTornTail: (o) => (torn = o) })) recs.push(r)
    expect(recs).toHaveLength(10)
    expect(torn).toBe(readFileSync(path).length - 'half a rec'.length)
  })

  it('throws ERR_CORRUPT with the offset of a damaged framed block', async () => {
    const path = await writeFile('framed', 20_000, 1 << 16)
    const bytes = readFileSync(path)
    let second = 4096
    while (bytes.subarray(second, second + 4).toString() !== 'LFB1') second += 4096
    bytes[second + 100] ^= 0xff
    writeFileSync(path, bytes)
    let count = 0
    let err: LogferryError | undefined
    try {
      for await (const _ of readLogFile(path)) count++
    } catch (e) {
      err = e as LogferryError
    }
    expect(err?.code).toBe("ERR_CORRUPT")
    expect(err?.message).toContain(`offset ${second}`)
    expect(count).toBeGreaterThan(0)
  })

  it('stops early without reading the rest, and releases the file', async () => {
    const path = await writeFile('framed', 5000, 1 << 14) // many blocks
    // Damage a block far past the first batch of 1024 records (~40 KB), not the last one (a
    // damaged last block reads as a torn tail): a reader that went on would throw ERR_CORRUPT.
    const bytes = readFileSync(path)
    const blocks: number[] = []
    for (let o = 0; o < bytes.length; o += 4096) if (bytes.subarray(o, o + 4).toString() === 'LFB1') blocks.push(o)
    const damaged = blocks.find((o) => o > 100 * 1024)!
    expect(blocks.at(-1)).toBeGreaterThan(damaged)
    expect(bytes.readUInt32LE(damaged + 16)).toBeGreaterThan(8) // payload length: byte 8 of it is a record's
    bytes[damaged + 32 + 8] ^= 0xff
    writeFileSync(path, bytes)
    let n = 0
    let openWhileReading = 0
    for await (const _ of readLogFile(path)) {
      openWhileReading = Math.max(openWhileReading, descriptorsOf(path))
      if (++n === 3) break
    }
    expect(n).toBe(3)
    expect(openWhileReading).toBe(1) // the check below can see the reader's descriptor
    expect(descriptorsOf(path)).toBe(0) // released by the break
    // The damage is there: reading on does reach it.
    await expect(async () => {
      for await (const _ of readLogFile(path));
    }).rejects.toMatchObject({ code: 'ERR_CORRUPT', message: expect.stringContaining(`offset ${damaged}`) })
    expect(descriptorsOf(path)).toBe(0)
  })
})
