// `logferry transfer` run as a child process (the built dist/cli.js), against local disk and a
// real S3 server (moto).
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { filesystem } from '../../ts/storage/index.js'
import { startS3, type StartedS3 } from '../servers/s3.js'

const CLI = resolve('dist/cli.js')
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

interface Run {
  code: number | null
  signal?: NodeJS.Signals | null
  stdout: string
  stderr: string
}

function cli(args: string[], opts: { killAfterMs?: number; interruptWhen?: () => boolean } = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, 'transfer', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    const timer = opts.killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGINT'), opts.killAfterMs)
    // SIGINT once the condition holds (polled), e.g. when the transfer is known to be under way.
    const poll =
      opts.interruptWhen === undefined
        ? undefined
        : setInterval(() => {
            if (opts.interruptWhen?.()) {
              clearInterval(poll)
              child.kill('SIGINT')
            }
          }, 10)
    child.on('error', fail)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      clearInterval(poll)
      done({ code, signal, stdout, stderr })
    })
  })
}

let dir: string
let src: string
const contents = new Map<string, Buffer>()

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'logferry-cli-'))
  src = join(dir, 'src')
  mkdirSync(join(src, 'nested'), { recursive: true })
  for (const name of ['a.log', 'b.log', 'nested/c.log', 'skip.txt']) {
    const data = randomBytes(50_000 + contents.size * 1000)
    writeFileSync(join(src, name), data)
    contents.set(name, data)
  }
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('logferry transfer (local)', () => {
  it('copies a glob keeping the structure, prints a table, and skips unchanged files on a second run', async () => {
    const dest = join(dir, 'out1')
    const r = await cli([`${src}/**/*.log`, dest])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^outcome\s+method\s+bytes/)
    expect(r.stdout).toContain('3 files: 3 copied, 0 skipped, 0 failed')
    for (const name of ['a.log', 'b.log', 'nested/c.log']) {
      expect(sha(readFileSync(join(dest, name)))).toBe(sha(contents.get(name) as Buffer))
    }
    const again = await cli([`${src}/**/*.log`, dest, '--json'])
    expect(again.code).toBe(0)
    const report = JSON.parse(again.stdout) as { ok: boolean; totals: { copied: number; skipped: number }; files: { outcome: string; source: string; target: string }[] }
    expect(report.ok).toBe(true)
    expect(report.totals).toMatchObject({ copied: 0, skipped: 3 })
    expect(report.files.map((f) => f.source).sort()).toEqual(['a.log', 'b.log', 'nested/c.log'].map((n) => `${src}/${n}`))
    expect(report.files.every((f) => f.target.startsWith(`${dest}/`))).toBe(true)
  })

  it('--flat keeps only names; a missing source fails that file with its code and exit status 1', async () => {
    const dest = join(dir, 'out2')
    const r = await cli([join(src, 'nested'), join(src, 'missing.log'), dest, '--flat', '--json'])
    expect(r.code).toBe(1)
    const report = JSON.parse(r.stdout) as { ok: boolean; files: { outcome: string; target: string; error?: { code: string } }[] }
    expect(report.ok).toBe(false)
    const failed = report.files.filter((f) => f.outcome === 'failed')
    expect(failed).toHaveLength(1)
    expect(failed[0]?.error?.code).toBe('ENOENT')
    expect(sha(readFileSync(join(dest, 'c.log')))).toBe(sha(contents.get('nested/c.log') as Buffer))
  })

  it('--dry-run writes nothing', async () => {
    const dest = join(dir, 'out3')
    const r = await cli([`${src}/*.log`, dest, '--dry-run', '--json'])
    expect(r.code).toBe(0)
    expect((JSON.parse(r.stdout) as { totals: { dryRun: number } }).totals.dryRun).toBe(2)
    expect(() => readFileSync(join(dest, 'a.log'))).toThrow(/ENOENT/)
  })

  it('SIGINT stops the transfer: exit status 130 and the partial report (what was copied, what was not)', async () => {
    // 4 files of 1 MiB one at a time at 2 MiB/s: about 2 s in all; interrupted once the first is in place.
    const slow = join(dir, 'slow')
    mkdirSync(slow)
    const data = new Map<string, Buffer>()
    for (const name of ['s1.log', 's2.log', 's3.log', 's4.log']) {
      data.set(name, randomBytes(1 << 20))
      writeFileSync(join(slow, name), data.get(name) as Buffer)
    }
    const dest = join(dir, 'out-int')
    const inPlace = (): string[] => (existsSync(dest) ? readdirSync(dest).filter((n) => n.endsWith('.log')) : [])
    const r = await cli([`${slow}/*.log`, dest, '--concurrency', '1', '--bandwidth-limit', '2MiB/s', '--json'], { interruptWhen: () => inPlace().length > 0 })
    expect(r.signal).toBeNull() // it handled the signal and exited on its own
    expect(r.code).toBe(130)
    expect(r.stderr).toContain('interrupted; the report lists what was done')
    const report = JSON.parse(r.stdout) as { ok: boolean; aborted: boolean; totals: { copied: number; failed: number }; files: { outcome: string; target: string }[] }
    expect(report).toMatchObject({ ok: false, aborted: true })
    const copied = report.files.filter((f) => f.outcome === 'copied').map((f) => f.target.slice(dest.length + 1)).sort()
    expect(copied.length).toBeGreaterThan(0)
    expect(copied.length).toBeLessThan(4)
    expect(report.totals.copied).toBe(copied.length)
    // The report is the truth: exactly the files it calls copied are in place, intact.
    expect(inPlace().sort()).toEqual(copied)
    for (const name of copied) expect(sha(readFileSync(join(dest, name)))).toBe(sha(data.get(name) as Buffer))
  })

  it('rejects bad usage with status 2 and the usage text', async () => {
    for (const args of [[src], [src, join(dir, 'x'), '--concurrency', 'many'], [src, join(dir, 'x'), '--bogus'], [src, join(dir, 'x'), '--overwrite', 'sometimes']]) {
      const r = await cli(args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr).toMatch(/logferry transfer: /)
    }
  })
})

describe('logferry transfer (S3)', () => {
  let s3: StartedS3 | undefined
  beforeAll(async () => {
    s3 = await startS3()
  }, 180_000)
  afterAll(async () => {
    await s3?.stop()
  }, 60_000)

  it('uploads to an s3:// URL and downloads back from it', async () => {
    const server = s3 as StartedS3
    const q = `?endpoint=${encodeURIComponent(server.endpoint)}&region=us-east-1&key=test&secret=test`
    const url = `s3://${server.bucket}/cli-${Date.now()}`
    const up = await cli([`${src}/**/*.log`, `${url}${q}`])
    expect(up.stderr).toBe('')
    expect(up.code).toBe(0)
    const fs = filesystem(`${url}${q}`)
    try {
      expect((await fs.ls('', { recursive: true })).filter((e) => e.kind === 'file').map((e) => e.path).sort()).toEqual(['a.log', 'b.log', 'nested/c.log'])
    } finally {
      await fs.close()
    }
    const back = join(dir, 'back')
    const down = await cli([`${url}/**/*.log${q}`, back])
    expect(down.code).toBe(0)
    for (const name of ['a.log', 'b.log', 'nested/c.log']) {
      expect(sha(readFileSync(join(back, name)))).toBe(sha(contents.get(name) as Buffer))
    }
  }, 120_000)
})
