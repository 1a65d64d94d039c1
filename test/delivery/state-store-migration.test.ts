/**
 * State directories of the previous release (before the SQLite store) are migrated on open:
 * the uploader's queue/*.json + done.jsonl + pid lock, and a copy job's version-1 JSON state
 * file. The old files are written here byte for byte as the previous release wrote them (see
 * `git show ae0dcbe:ts/uploader/state-store.ts` and `:ts/copy/state.ts`), with the leftovers a
 * crash leaves (a .tmp entry, a torn done line). Queued files are uploaded, failed ones retried,
 * done ones not uploaded again; a live previous-release owner is refused.
 */
import { createHash } from 'node:crypto'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { isSqliteFile } from '../../ts/delivery/sqlite-state-store.js'
import { readCopyState } from '../../ts/copy/state.js'
import { CopyJobRunner, createUploader, MemoryFileSystem, type UploadedFile } from '../../ts/index.js'
import { readUploaderState } from '../../ts/uploader/state-store.js'
import { writeTree } from '../copy/helpers.js'

const base = mkdtempSync(join(tmpdir(), 'logferry-state-mig-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))
let n = 0
const dir = (): string => {
  const d = join(base, `d${++n}`)
  mkdirSync(d, { recursive: true })
  return d
}

/** The previous release's entry id: the first 32 hex digits of sha256(path). */
const oldId = (path: string): string => createHash('sha256').update(path).digest('hex').slice(0, 32)

interface OldEntry {
  id: string
  path: string
  event: string
  objectName: string
  size: number
  queuedAt: number
  status: 'pending' | 'failed'
  attempts: number
  lastError?: string
}

/** Writes an entry as the previous StateStore.save did: JSON.stringify of the entry in queue/{id}.json. */
function writeOldEntry(stateDir: string, e: OldEntry): void {
  mkdirSync(join(stateDir, 'queue'), { recursive: true })
  writeFileSync(join(stateDir, 'queue', `${e.id}.json`), JSON.stringify(e))
}

function oldEntry(path: string, objectName: string, extra: Partial<OldEntry> = {}): OldEntry {
  // Field order of the previous uploader's enqueue: id, path, event, objectName, size, queuedAt, status, attempts.
  return { id: oldId(path), path, event: 'app', objectName, size: statSync(path).size, queuedAt: Date.now() - 60_000, status: 'pending', attempts: 0, ...extra }
}

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
  return Number(r.stdout.toString())
}

describe('migration from the previous release', () => {
  it('uploader: queued and failed entries are uploaded, done ones are not, and the old files move aside', async () => {
    const logs = dir()
    const stateDir = join(dir(), 'state')
    const file = (name: string, body: string): string => {
      const p = join(logs, name)
      writeFileSync(p, body)
      return p
    }
    const a = file('a.log', 'pending one\n')
    const b = file('b.log', 'failed one, four attempts\n')
    const c = file('c.log', 'done\n')
    const d = file('d.log', 'done, entry not yet removed\n')
    const f = file('f.log', 'torn save\n')
    const gone = join(logs, 'gone.log') // uploaded and deleted (deleteAfterUpload)
    writeOldEntry(stateDir, oldEntry(a, 'old/a-object.log', { queuedAt: Date.now() - 50_000 }))
    writeOldEntry(stateDir, oldEntry(b, 'old/b-object.log', { queuedAt: Date.now() - 40_000, status: 'failed', attempts: 4, lastError: 'ETRANSIENT: s3 (connect ECONNREFUSED)' }))
    writeOldEntry(stateDir, oldEntry(d, 'old/d-object.log'))
    // A save interrupted before its rename, as the previous StateStore named its temp files.
    writeFileSync(join(stateDir, 'queue', `${oldId(f)}.json.1.tmp`), JSON.stringify(oldEntry(f, 'old/f-object.log')).slice(0, 40))
    // done.jsonl as StateStore.finish appended it, the last line torn by a crash.
    const doneLine = (path: string, size: number): string => `${JSON.stringify({ path, size })}\n`
    writeFileSync(join(stateDir, 'done.jsonl'), doneLine(c, statSync(c).size) + doneLine(d, statSync(d).size) + doneLine(gone, 99) + '{"path":"/x/tor')
    writeFileSync(join(stateDir, 'lock'), String(deadPid())) // the previous owner died

    const target = new MemoryFileSystem()
    const u = createUploader({ target, stateDir, scanExisting: false, retryFailedInterval: 0 })
    const uploaded: UploadedFile[] = []
    u.on('uploaded', (x) => uploaded.push(x))
    await u.drain()
    expect(uploaded.map((x) => [x.path, x.objectName]).sort()).toEqual([[a, 'old/a-object.log'], [b, 'old/b-object.log']])
    expect(u.stats()).toEqual({ totalFiles: 2, successful: 2, failed: 0, pending: 0, totalBytes: statSync(a).size + statSync(b).size })
    expect((await target.readFile('old/b-object.log')).toString()).toBe('failed one, four attempts\n')
    // Done files are not queued again.
    await u.enqueue(c)
    await u.enqueue(d)
    expect(u.stats().totalFiles).toBe(2)
    await u.close()

    expect(readdirSync(stateDir).filter((x) => !x.startsWith('state.db')).sort()).toEqual(['previous-layout'])
    expect(readdirSync(join(stateDir, 'previous-layout')).sort()).toEqual(['done.jsonl', 'queue'])
    expect(readdirSync(join(stateDir, 'previous-layout', 'queue')).sort()).toEqual([`${oldId(a)}.json`, `${oldId(b)}.json`, `${oldId(d)}.json`, `${oldId(f)}.json.1.tmp`].sort())
    const state = readUploaderState(stateDir)
    expect(state.queued).toEqual([])
    // gone.log's record is dropped on open (its file no longer exists), as before.
    expect(state.done.map((x) => x.path).sort()).toEqual([a, b, c, d].sort())

    // A second start: nothing to do, nothing migrated again.
    const u2 = createUploader({ target, stateDir, scanExisting: false })
    await u2.drain()
    expect(u2.stats().totalFiles).toBe(0)
    await u2.close()
  })

  it('uploader: a previous-release uploader still running on the directory is refused, and its files are left alone', async () => {
    const stateDir = dir()
    const log = join(stateDir, '..', `x${n}.log`)
    writeFileSync(log, 'x\n')
    writeOldEntry(stateDir, oldEntry(log, 'x.log'))
    const old = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' })
    try {
      writeFileSync(join(stateDir, 'lock'), String(old.pid))
      const u = createUploader({ target: new MemoryFileSystem(), stateDir })
      await expect(u.ready()).rejects.toMatchObject({ code: 'ERR_INVALID_CONFIG', message: `uploader option stateDir ${stateDir} is in use by process ${old.pid}` })
      await u.close()
      expect(readdirSync(join(stateDir, 'queue'))).toEqual([`${oldId(log)}.json`])
      expect(existsSync(join(stateDir, 'state.db'))).toBe(false)
    } finally {
      old.kill('SIGKILL')
    }
  })

  it('copy job: the version-1 JSON state file becomes the database in place; unchanged files stay unchanged', async () => {
    const src = dir()
    const stateDir = dir()
    writeTree(src, { 'a.log': 'alpha\n', 'b.log': 'bravo\n' })
    const a = join(src, 'a.log')
    const b = join(src, 'b.log')
    // The stamp a copy job records: the size and the mtime in whole ms, as the local FileSystem reports it.
    const stamp = (p: string): { size: number; mtimeMs: number } => ({ size: statSync(p).size, mtimeMs: statSync(p).mtime.getTime() })
    // As CopyState.save wrote it: version 1, files sorted by path, JSON.stringify(body, null, 1) + newline.
    const files = { [a]: stamp(a), [b]: { size: 1, mtimeMs: stamp(b).mtimeMs }, [join(src, 'gone.log')]: { size: 5, mtimeMs: 1 } }
    const body = { version: 1, files: Object.fromEntries(Object.entries(files).sort(([x], [y]) => (x < y ? -1 : 1))) }
    const statePath = join(stateDir, 'logs.json') // the default state file of a job named logs
    const oldText = `${JSON.stringify(body, null, 1)}\n`
    writeFileSync(statePath, oldText)

    const dest = new MemoryFileSystem()
    const runner = new CopyJobRunner()
    const warnings: Error[] = []
    runner.on('warning', (w) => warnings.push(w))
    runner.start({ name: 'logs', localPattern: `${src}/*.log`, destination: dest, stateDir, runOnStart: false, settleTime: 0 })
    expect(await runner.runNow('logs')).toMatchObject({ matched: 2, unchanged: 1, copied: 1, failed: 0, error: undefined })
    expect(await dest.exists('a.log')).toBe(false) // unchanged since the previous release copied it
    expect((await dest.readFile('b.log')).toString()).toBe('bravo\n')
    expect(await runner.stopAll()).toEqual([])
    expect(warnings).toEqual([])

    expect(isSqliteFile(statePath)).toBe(true)
    expect(readFileSync(`${statePath}.v1`, 'utf8')).toBe(oldText)
    expect(existsSync(`${statePath}.migrating`)).toBe(false)
    expect(readCopyState(statePath)).toEqual(new Map([[a, stamp(a)], [b, stamp(b)]]))

    // The next start reads the database: nothing to copy.
    const again = new CopyJobRunner()
    again.start({ name: 'logs', localPattern: `${src}/*.log`, destination: dest, stateDir, runOnStart: false, settleTime: 0 })
    expect(await again.runNow('logs')).toMatchObject({ matched: 2, unchanged: 2, copied: 0 })
    await again.stopAll()
  })

  it('copy job: a damaged previous-release state file is kept aside with a warning, and the job starts afresh', async () => {
    const src = dir()
    writeTree(src, { 'a.log': 'alpha\n' })
    const statePath = join(dir(), 'custom-state')
    writeFileSync(statePath, '{\n "version": 1,\n "files": {\n  "/x/a.log": {\n   "si')
    const runner = new CopyJobRunner()
    const warnings: Error[] = []
    runner.on('warning', (w) => warnings.push(w))
    runner.start({ name: 'j', localPattern: `${src}/*.log`, destination: new MemoryFileSystem(), statePath, runOnStart: false, settleTime: 0 })
    expect(await runner.runNow('j')).toMatchObject({ copied: 1, failed: 0, error: undefined })
    await runner.stopAll()
    expect(warnings.map((w) => w.message)).toEqual([expect.stringContaining(`copy state ${statePath} is damaged, starting afresh (kept as ${statePath}.damaged)`)])
    expect(readFileSync(`${statePath}.damaged`, 'utf8')).toContain('"si')
    expect(isSqliteFile(statePath)).toBe(true)
    expect([...readCopyState(statePath).keys()]).toEqual([join(src, 'a.log')])
  })
})
