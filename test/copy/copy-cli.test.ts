// `logferry copy --config FILE` as a child process (the built dist/cli.js): runs the jobs,
// prints a line per run, stops cleanly on SIGINT and SIGTERM; --once; config errors.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { tempDir, writeOld, writeTree } from './helpers.js'

const CLI = resolve('dist/cli.js')

interface Child {
  proc: ChildProcess
  stdout: () => string
  stderr: () => string
  exit: Promise<number | null>
}

function start(args: string[]): Child {
  const proc = spawn(process.execPath, [CLI, 'copy', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  proc.stdout?.on('data', (b: Buffer) => (out += b.toString()))
  proc.stderr?.on('data', (b: Buffer) => (err += b.toString()))
  const exit = new Promise<number | null>((r) => proc.on('close', (code) => r(code)))
  return { proc, stdout: () => out, stderr: () => err, exit }
}

function config(src: string, dest: string, extra = ''): string {
  const file = join(tempDir(), 'copy.yaml')
  writeFileSync(
    file,
    `copy:\n  - name: ship\n    local_pattern: "${src}/*.log"\n    hdfs_destination: "file://${dest}"\n    interval: 150ms\n    settle_time: 0\n${extra}`,
  )
  return file
}

const runLines = (out: string): string[] => out.split('\n').filter((l) => / copy ship: /.test(l))

describe('logferry copy --config', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`runs the jobs periodically, prints a line per run, and stops on ${signal} with status 0`, async () => {
      const src = tempDir()
      const dest = tempDir()
      writeTree(src, { 'a.log': 'a\n', 'b.log': 'bb\n' })
      const child = start(['--config', config(src, dest)])
      await vi.waitFor(() => expect(runLines(child.stdout()).length).toBeGreaterThanOrEqual(1), { timeout: 30_000, interval: 25 })
      expect(runLines(child.stdout())[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z copy ship: copied 2 file\(s\), 5 bytes; unchanged 0, active 0, failed 0 \[\d+ ms\]$/)
      writeOld(join(src, 'b.log'), 'bb changed\n')
      await vi.waitFor(() => expect(runLines(child.stdout()).some((l) => / copied 1 file\(s\), 11 bytes; unchanged 1,/.test(l))).toBe(true), {
        timeout: 30_000,
        interval: 25,
      })
      expect(readFileSync(join(dest, 'b.log'), 'utf8')).toBe('bb changed\n')
      expect(child.stderr()).toMatch(/1 job\(s\) running \(ship\)/)
      child.proc.kill(signal)
      expect(await child.exit).toBe(0)
      expect(child.stderr()).toContain(`${signal}: stopping`)
      expect(child.stderr()).toMatch(/logferry copy: stopped\n$/)
    })
  }

  it('--once runs each job once and exits 0, or 1 when a file failed', async () => {
    const src = tempDir()
    const dest = tempDir()
    writeTree(src, { 'a.log': 'a\n' })
    const ok = start(['--config', config(src, dest), '--once', '--json'])
    expect(await ok.exit).toBe(0)
    const [line, ...more] = ok.stdout().trim().split('\n')
    expect(more).toEqual([])
    expect(JSON.parse(line ?? '')).toMatchObject({ name: 'ship', copied: 1, bytes: 2, failed: 0 })
    expect(readFileSync(join(dest, 'a.log'), 'utf8')).toBe('a\n')

    // A destination path that is a regular file: the copy fails.
    const blocker = join(tempDir(), 'file')
    writeFileSync(blocker, 'x')
    const src2 = tempDir()
    writeTree(src2, { 'a.log': 'a\n' })
    const bad = start(['--config', config(src2, `${blocker}/sub`, '    max_retries: 0\n'), '--once'])
    expect(await bad.exit).toBe(1)
    expect(runLines(bad.stdout())[0]).toMatch(/copied 0 file\(s\), 0 bytes; unchanged 0, active 0, failed 1 - /)
  })

  it('exits 2 naming the key of an invalid config, and on bad usage', async () => {
    const file = join(tempDir(), 'bad.yaml')
    writeFileSync(file, 'copy:\n  - name: x\n    localPattern: /tmp/*.log\n    destination: memory://m\n    interval: sometimes\n')
    const bad = start(['--config', file])
    expect(await bad.exit).toBe(2)
    expect(bad.stderr()).toContain(`${file}:5:5: copy[0].interval: "sometimes" is not a duration`)
    const none = join(tempDir(), 'none.yaml')
    writeFileSync(none, 'handlers: {}\n')
    const empty = start(['--config', none])
    expect(await empty.exit).toBe(2)
    expect(empty.stderr()).toContain('has no jobs in its copy: section')
    const usage = start([])
    expect(await usage.exit).toBe(2)
    expect(usage.stderr()).toContain('--config FILE is required')
  })
})

describe('copy jobs and process exit', () => {
  for (const mode of ['idle', 'exit'] as const) {
    it(`a process with running jobs exits by itself (${mode === 'idle' ? 'nothing left to do' : 'process.exit() during a run'})`, async () => {
      const src = tempDir()
      const dest = tempDir()
      writeTree(src, { 'a.log': 'a\n' })
      const proc = spawn(process.execPath, [resolve('test/copy/fixtures/exit-with-jobs.mjs'), src, dest, mode], { stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      proc.stdout?.on('data', (b: Buffer) => (out += b.toString()))
      const code = await new Promise<number | null>((r) => proc.on('close', r))
      expect(code).toBe(0)
      expect(out).toBe('copied 1\n')
      expect(readFileSync(join(dest, 'a.log'), 'utf8')).toBe('a\n')
    })
  }
})
