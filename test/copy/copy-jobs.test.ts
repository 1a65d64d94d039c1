/**
 * Copy jobs against the local disk and memory: what is copied, change detection across
 * restarts, active files, no overlapping runs, stop with timeouts, aliases, validation.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { CopyJobRunner, Logger, LoggerManager, MemoryFileSystem, type CopyJobOptions } from '../../ts/index.js'
import { readCopyState } from '../../ts/copy/state.js'
import { SlowMemory, tempDir, trackRuns, writeOld, writeTree } from './helpers.js'

const listTree = (dir: string): string[] =>
  (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(dir.length + 1))
    .sort()

function job(src: string, dest: string, extra: Partial<CopyJobOptions> = {}): CopyJobOptions {
  return { name: 'logs', localPattern: `${src}/**/*.log`, destination: `file://${dest}`, runOnStart: false, interval: 3_600_000, ...extra }
}

describe('copy job to a local directory', () => {
  it('copies matching files keeping their structure, reports them, and remembers them in a state file', async () => {
    const src = tempDir()
    const dest = tempDir()
    writeTree(src, { 'a.log': 'alpha\n', 'sub/b.log': 'bravo!\n', 'c.txt': 'not a log\n' })
    const runner = new CopyJobRunner()
    const info = runner.start(job(src, dest))
    expect(info).toMatchObject({ name: 'logs', running: true, runs: 0, filesCopied: 0, lastRunAt: undefined })
    expect(info.nextRunAt).toBeInstanceOf(Date)
    const r = await runner.runNow('logs')
    expect(r).toMatchObject({ matched: 2, copied: 2, bytes: 13, unchanged: 0, active: 0, failed: 0, error: undefined, aborted: false })
    expect(listTree(dest)).toEqual(['a.log', 'sub/b.log'])
    expect(readFileSync(join(dest, 'sub/b.log'), 'utf8')).toBe('bravo!\n')
    const [op] = runner.list()
    expect(op).toMatchObject({ name: 'logs', running: true, inProgress: false, filesCopied: 2, bytesCopied: 13, filesFailed: 0, runs: 1, lastError: undefined })
    expect(op?.lastRunAt?.getTime()).toBe(r.startedAt.getTime())
    // Default state file: .logferry-copy/{name}.json under the pattern's base directory.
    const state = readCopyState(join(src, '.logferry-copy', 'logs.json'))
    expect([...state.keys()].sort()).toEqual([join(src, 'a.log'), join(src, 'sub/b.log')])
    expect(await runner.stopAll()).toEqual([])
    expect(runner.list()).toEqual([])
  })

  it('recopies a changed file, not unchanged ones, also after a restart (state persisted)', async () => {
    const src = tempDir()
    const dest = tempDir()
    const stateDir = tempDir()
    writeTree(src, { 'a.log': 'one\n', 'b.log': 'two\n' })
    const first = new CopyJobRunner()
    first.start(job(src, dest, { stateDir }))
    expect((await first.runNow('logs')).copied).toBe(2)
    expect(await first.runNow('logs')).toMatchObject({ copied: 0, unchanged: 2 })
    expect(await first.stop('logs')).toBe(true)
    // Mark the copies, so a recopy would be visible.
    writeFileSync(join(dest, 'a.log'), 'stale copy\n')
    writeFileSync(join(dest, 'b.log'), 'stale copy\n')

    writeOld(join(src, 'b.log'), 'two, changed\n')
    const second = new CopyJobRunner()
    second.start(job(src, dest, { stateDir }))
    const r = await second.runNow('logs')
    expect(r).toMatchObject({ matched: 2, copied: 1, unchanged: 1, failed: 0 })
    expect(readFileSync(join(dest, 'a.log'), 'utf8')).toBe('stale copy\n')
    expect(readFileSync(join(dest, 'b.log'), 'utf8')).toBe('two, changed\n')
    expect(existsSync(join(stateDir, 'logs.json'))).toBe(true)
    await second.stopAll()
  })

  it('flattens paths with preserveStructure: false and accepts a list of patterns', async () => {
    const src = tempDir()
    const dest = tempDir()
    writeTree(src, { 'x/a.log': 'a\n', 'y/b.txt': 'b\n', 'z/c.log': 'c\n' })
    const runner = new CopyJobRunner()
    runner.start(job(src, dest, { localPattern: [`${src}/x/*.log`, `${src}/y/b.txt`], preserveStructure: false }))
    expect((await runner.runNow('logs')).copied).toBe(2)
    expect(listTree(dest)).toEqual(['a.log', 'b.txt'])
    await runner.stopAll()
  })

  it('createDestDirs: true creates a missing destination; false fails the run and retries the files next time', async () => {
    const src = tempDir()
    writeTree(src, { 'a.log': 'a\n', 'b.log': 'b\n' })
    const missing = join(tempDir(), 'not', 'yet')
    const runner = new CopyJobRunner()
    runner.start(job(src, missing, { name: 'strict', createDestDirs: false }))
    const r = await runner.runNow('strict')
    expect(r).toMatchObject({ matched: 2, copied: 0, failed: 2 })
    expect(r.error?.message).toBe(`destination file://${missing} does not exist (createDestDirs is false)`)
    expect(existsSync(missing)).toBe(false)
    expect(runner.list()[0]?.lastError).toBe(r.error?.message)
    runner.start(job(src, missing, { name: 'lenient', stateDir: tempDir() }))
    expect(await runner.runNow('lenient')).toMatchObject({ copied: 2, failed: 0 })
    // The directory exists now, and the strict job copies the files it failed on before.
    expect(await runner.runNow('strict')).toMatchObject({ copied: 2, failed: 0, error: undefined })
    expect(runner.list().map((o) => o.lastError)).toEqual([undefined, undefined])
    await runner.stopAll()
  })

  it('skips the file a Logger of this process is writing, and recently modified files, unless includeActive', async () => {
    const src = tempDir()
    const dest = tempDir()
    writeOld(join(src, 'old.log'), 'settled\n', 7_200_000)
    const logger = new Logger({ logFilePath: join(src, 'app.log'), bufferSize: 65536, preallocateFileSize: 0 })
    logger.log('being written')
    await logger.flush()
    writeFileSync(join(src, 'fresh.log'), 'just written\n')
    const runner = new CopyJobRunner()
    runner.start(job(src, dest, { name: 'registry', settleTime: 0 }))
    runner.start(job(src, tempDir(), { name: 'settle', settleTime: 3_600_000 }))
    // settleTime 0: only the registry of open loggers keeps app.log out.
    expect(await runner.runNow('registry')).toMatchObject({ matched: 3, copied: 2, active: 1 })
    expect(listTree(dest)).toEqual(['fresh.log', 'old.log'])
    // A long settleTime also keeps fresh.log out.
    expect(await runner.runNow('settle')).toMatchObject({ matched: 3, copied: 1, active: 2 })

    const all = tempDir()
    runner.start(job(src, all, { name: 'all', includeActive: true, settleTime: 3_600_000 }))
    expect(await runner.runNow('all')).toMatchObject({ copied: 3, active: 0 })
    expect(readFileSync(join(all, 'app.log'), 'utf8')).toBe('being written\n')

    // Once closed, the logger's file is sealed under a new name and copied on the next run.
    await logger.close()
    const r = await runner.runNow('registry')
    expect(r).toMatchObject({ copied: 1, active: 0, unchanged: 2 })
    expect(listTree(dest).filter((n) => /^app_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d(_\d+)?\.log$/.test(n))).toHaveLength(1)
    await runner.stopAll()
  })

  it('runs on its interval, never two runs of one job at once', async () => {
    const src = tempDir()
    writeTree(src, { 'a.log': 'x' })
    const target = new SlowMemory(60)
    const runner = new CopyJobRunner()
    const t = trackRuns(runner)
    let writes = 0
    // Every run finds a.log changed, so every run copies through the slow target.
    runner.on('runStart', () => writeOld(join(src, 'a.log'), 'x'.repeat(++writes + 1)))
    runner.start({ name: 'busy', localPattern: `${src}/*.log`, destination: target, interval: 1 })
    // Extra runs requested while the timer keeps firing: they queue, they do not overlap.
    await Promise.all([runner.runNow('busy'), runner.runNow('busy'), runner.runNow('busy')])
    await vi.waitFor(() => expect(t.results.length).toBeGreaterThanOrEqual(6), { timeout: 30_000, interval: 20 })
    expect(await runner.stop('busy', { timeout: 10_000 })).toBe(true)
    expect(t.maxConcurrent()).toBe(1)
    expect(t.results.every((r) => r.copied === 1 && r.failed === 0)).toBe(true)
    // The last run copied the content a.log had when that run started.
    expect((await target.readFile('a.log')).toString()).toBe('x'.repeat(writes + 1))
  })

  it('schedules the next run after the previous one and reports nextRunAt', async () => {
    const src = tempDir()
    writeTree(src, { 'a.log': 'a' })
    const runner = new CopyJobRunner()
    const t = trackRuns(runner)
    const before = Date.now()
    runner.start({ name: 'tick', localPattern: `${src}/*.log`, destination: new MemoryFileSystem(), interval: 200 })
    await vi.waitFor(() => expect(t.results.length).toBeGreaterThanOrEqual(3), { timeout: 30_000, interval: 20 })
    const [op] = runner.list()
    expect(op?.runs).toBeGreaterThanOrEqual(3)
    expect(op?.filesCopied).toBe(1)
    // Runs start at least one interval after the previous run ended.
    for (let i = 1; i < t.results.length; i++) {
      const prev = t.results[i - 1]!
      expect(t.results[i]!.startedAt.getTime()).toBeGreaterThanOrEqual(prev.startedAt.getTime() + prev.durationMs + 200 - 5)
    }
    // Between two runs the job reports when the next one starts: one interval after the run
    // that just ended (read in one synchronous snapshot, so no run can start in between).
    const idle = await vi.waitFor(
      () => {
        const [info] = runner.list()
        const last = t.results.at(-1)
        expect(info?.inProgress).toBe(false)
        expect(info?.nextRunAt).toBeInstanceOf(Date)
        return { next: info!.nextRunAt!.getTime(), last: last!, at: Date.now() }
      },
      { timeout: 5_000, interval: 5 },
    )
    expect(idle.next).toBeGreaterThan(before)
    expect(idle.next).toBeGreaterThanOrEqual(idle.last.startedAt.getTime() + idle.last.durationMs + 200)
    expect(idle.next).toBeLessThanOrEqual(idle.at + 200)
    await runner.stopAll()
    expect(runner.list()).toEqual([])
  })

  it('stopCopy waits for a run that ends in time (true) and aborts one that does not (false)', async () => {
    const src = tempDir()
    writeTree(src, { 'a.log': 'a', 'b.log': 'b' })
    const runner = new CopyJobRunner()
    const t = trackRuns(runner)
    runner.start({ name: 'quick', localPattern: `${src}/*.log`, destination: new SlowMemory(300), runOnStart: false })
    runner.start({ name: 'slow', localPattern: `${src}/*.log`, destination: new SlowMemory(3_000), runOnStart: false })
    const quick = runner.runNow('quick')
    const slow = runner.runNow('slow')
    await vi.waitFor(() => expect(runner.list().every((o) => o.inProgress)).toBe(true))
    expect(await runner.stop('quick', { timeout: 20_000 })).toBe(true)
    expect((await quick).copied).toBe(2)
    expect(await runner.stop('slow', { timeout: 50 })).toBe(false)
    expect(runner.list()).toEqual([])
    // The aborted run ends without copying and without being counted as a success.
    const r = await slow
    expect(r).toMatchObject({ name: 'slow', aborted: true, copied: 0, failed: 2 })
    expect(t.results.map((x) => x.name).sort()).toEqual(['quick', 'slow'])
    // The name is free again once the aborted run has ended.
    await vi.waitFor(() => expect(() => runner.start({ name: 'slow', localPattern: `${src}/*.log`, destination: new MemoryFileSystem(), runOnStart: false })).not.toThrow())
    expect(await runner.stop('nonexistent')).toBe(false)
    await runner.stopAll()
  })

  it('stopAllCopies returns the names of the jobs that did not stop in time', async () => {
    const src = tempDir()
    writeTree(src, { 'a.log': 'a' })
    const runner = new CopyJobRunner()
    for (const name of ['idle', 'stuck-1', 'stuck-2']) {
      runner.start({ name, localPattern: `${src}/*.log`, destination: name === 'idle' ? new MemoryFileSystem() : new SlowMemory(2_000), runOnStart: false })
    }
    const runs = [runner.runNow('stuck-1'), runner.runNow('stuck-2')]
    await vi.waitFor(() => expect(runner.list().filter((o) => o.inProgress).map((o) => o.name)).toEqual(['stuck-1', 'stuck-2']))
    expect(await runner.stopAll({ timeout: 50 })).toEqual(['stuck-1', 'stuck-2'])
    expect(runner.list()).toEqual([])
    expect((await Promise.all(runs)).map((r) => r.aborted)).toEqual([true, true])
  })

  it('LoggerManager hosts jobs, with the seed-000 aliases and state under its log directory', async () => {
    const dir = tempDir()
    const dest = tempDir()
    const manager = new LoggerManager({ logFilePath: join(dir, 'main.log'), bufferSize: 65536, preallocateFileSize: 0 })
    manager.logWithEvent('payment', 'paid')
    await manager.closeEventLogger('payment') // sealed: payment_<stamp>.log
    writeTree(dir, { 'old.log': 'old\n' })
    const info = manager.startHdfsCopy({ copyName: 'backup', localPattern: `${dir}/*.log`, hdfsDestination: `file://${dest}`, runOnStart: false, settleTime: 0 })
    expect(info.name).toBe('backup')
    expect(manager.listHdfsCopyOperations().map((o) => o.name)).toEqual(['backup'])
    expect(manager.listCopyOperations()).toEqual(manager.listHdfsCopyOperations())
    expect(await manager.runCopyNow('backup')).toMatchObject({ copied: 2, failed: 0 })
    expect(listTree(dest).some((n) => n.startsWith('payment_'))).toBe(true)
    expect(existsSync(join(dir, '.logferry-copy', 'backup.json'))).toBe(true)
    expect(await manager.stopHdfsCopy('backup', { timeout: 5_000 })).toBe(true)
    manager.startCopy({ name: 'again', localPattern: `${dir}/*.log`, destination: new MemoryFileSystem(), runOnStart: false })
    expect(await manager.stopAllHdfsCopy({ timeout: 5_000 })).toEqual([])
    expect(manager.listCopyOperations()).toEqual([])
    await manager.close()
  })

  it('rejects bad options with ERR_INVALID_CONFIG naming the key', () => {
    const runner = new CopyJobRunner()
    const ok: CopyJobOptions = { name: 'ok', localPattern: '/tmp/*.log', destination: new MemoryFileSystem(), runOnStart: false }
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ name: 'bad name!' }, /^name: must be 1-100 letters/],
      [{ name: '' }, /^name: /],
      [{ interval: 0 }, /^interval: must be an integer from 1/],
      [{ interval: 1.5 }, /^interval: /],
      [{ localPattern: undefined }, /^localPattern: is required/],
      [{ localPattern: [] }, /^localPattern: must be a non-empty/],
      [{ localPattern: ['/a/*.log', 7] }, /^localPattern\[1\]: must be a non-empty string/],
      [{ destination: 'bogus://host/x' }, /^destination: is not a valid destination .*unknown protocol 'bogus'/],
      [{ destination: undefined }, /^destination: is required/],
      [{ destination: 'http://[::1' }, /^destination: is not a valid destination/],
      [{ maxRetries: -1 }, /^maxRetries: /],
      [{ includeActive: 'yes' }, /^includeActive: must be true or false/],
      [{ colour: 'red' }, /^colour: is not a copy job option/],
      [{ hdfsDestination: 'memory://x' }, /^hdfsDestination: is an alias of destination/],
    ]
    for (const [patch, message] of cases) {
      let err: unknown
      try {
        runner.start({ ...ok, ...patch } as CopyJobOptions)
      } catch (e) {
        err = e
      }
      expect(err, JSON.stringify(patch)).toMatchObject({ code: 'ERR_INVALID_CONFIG' })
      expect((err as Error).message, JSON.stringify(patch)).toMatch(message)
    }
    runner.start(ok)
    expect(() => runner.start(ok)).toThrow(/^name: a copy job named 'ok' is already running/)
    expect(runner.list().map((o) => o.name)).toEqual(['ok'])
    return runner.stopAll()
  })
})
