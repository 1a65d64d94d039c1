/**
 * `logferry search` (dist/cli.js): ripgrep's output for the same search (path:line:text,
 * context lines and `--` separators), and ripgrep's exit status: 0 matched, 1 nothing, 2 error.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeCorpus } from './corpus.js'

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli.js')
let dir: string

const logferry = (...args: string[]) => spawnSync(process.execPath, [CLI, 'search', ...args], { maxBuffer: 1 << 28 })
const rg = (...args: string[]) => spawnSync('rg', ['--no-config', '-H', '-n', '--no-heading', '-a', '-z', '-u', ...args], { maxBuffer: 1 << 28 })
const sortedLines = (b: Buffer): string[] => b.toString('utf8').split('\n').filter((l) => l !== '').sort()

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build:ts` first (npm test does)')
  dir = mkdtempSync(join(tmpdir(), 'logferry-search-cli-'))
  makeCorpus(dir)
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('logferry search', () => {
  it('prints what rg prints (path:line:text), regex by default, -F literal, -i', () => {
    for (const args of [['-F', 'ERROR'], [String.raw`timeout after \d+ms`], ['-i', 'échec'], ['-F', '$1.5(x)']]) {
      const ours = logferry(...args, dir)
      const theirs = rg(...args, dir)
      expect(ours.status, ours.stderr.toString()).toBe(0)
      expect(theirs.status).toBe(0)
      const lines = sortedLines(ours.stdout)
      expect(lines.length).toBeGreaterThan(10)
      expect(lines).toEqual(sortedLines(theirs.stdout))
    }
  })

  it('context lines and -- separators as rg prints them (one file)', () => {
    const file = join(dir, 'app.log')
    for (const args of [['-C', '2', 'retry worker'], ['-A', '1', '-B', '3', 'Grüße'], ['-C', '1', '^$']]) {
      const ours = logferry(...args, file)
      const theirs = rg(...args, file)
      expect(ours.status, ours.stderr.toString()).toBe(0)
      expect(ours.stdout.toString()).toContain('--\n')
      expect(ours.stdout.toString()).toBe(theirs.stdout.toString())
    }
  })

  it('-m stops after N lines in all', () => {
    const r = logferry('-m', '3', '-F', 'ERROR', dir)
    expect(r.status).toBe(0)
    expect(r.stdout.toString().trimEnd().split('\n')).toHaveLength(3)
  })

  it('exit 1 when nothing matched, 2 on a bad pattern or usage, 2 when a path failed (after printing the rest)', () => {
    const none = logferry('-F', 'no such text anywhere', dir)
    expect([none.status, none.stdout.length]).toEqual([1, 0])
    const bad = logferry('(', dir)
    expect(bad.status).toBe(2)
    expect(bad.stderr.toString()).toMatch(/pattern is not a valid regular expression/)
    expect(logferry().status).toBe(2)
    expect(logferry('--bogus', 'x', dir).status).toBe(2)
    const missing = logferry('-F', 'ERROR', join(dir, 'missing.log'), join(dir, 'app.log'))
    expect(missing.status).toBe(2)
    expect(missing.stderr.toString()).toMatch(/missing\.log: .*\(ERR_IO\)/)
    expect(sortedLines(missing.stdout)).toEqual(sortedLines(rg('-F', 'ERROR', join(dir, 'app.log')).stdout))
  })
})
