/**
 * The delivery state store on real SQLite: items and done records round-trip exactly, a
 * transaction is all or nothing, one owner per store (also inside one process), a busy database
 * gives ERR_STATE_BUSY after the busy timeout, a newer schema version or a file that is not a
 * state database is refused with a coded error naming the file, and importing the package root
 * does not load the SQLite binding.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type BetterSqlite3 from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { openStateStore, type StateStore } from '../../ts/delivery/state-store.js'
import { STATE_SCHEMA_VERSION } from '../../ts/delivery/sqlite-state-store.js'
import { createUploader, MemoryFileSystem } from '../../ts/index.js'

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3
const base = mkdtempSync(join(tmpdir(), 'logferry-state-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))
let n = 0
const dbPath = (): string => join(base, `d${++n}`, 'state.db')

function withStore<T>(path: string, fn: (s: StateStore) => T): T {
  const s = openStateStore(path, { owner: 'test' })
  try {
    return fn(s)
  } finally {
    s.close()
  }
}

describe('state store', () => {
  it('keeps items and done records across a reopen, exactly', () => {
    const path = dbPath()
    withStore(path, (s) => {
      const a = s.put('uploads', { id: 'a', status: 'pending', payload: { path: '/x/a.log', size: 3 }, createdAt: 1000 })
      expect(a).toMatchObject({ queue: 'uploads', id: 'a', status: 'pending', attempts: 0, lastError: undefined, createdAt: 1000 })
      s.put('uploads', { id: 'b', status: 'pending', payload: { path: '/x/b.log', size: 4 }, createdAt: 500 })
      // A later put replaces status, attempts, error and payload, and keeps createdAt.
      const a2 = s.put('uploads', { id: 'a', status: 'failed', attempts: 2, lastError: 'boom', payload: { path: '/x/a.log', size: 3 } })
      expect(a2).toMatchObject({ status: 'failed', attempts: 2, lastError: 'boom', createdAt: 1000 })
      expect(a2.updatedAt).toBeGreaterThanOrEqual(a.updatedAt)
      s.put('other', { id: 'a', status: 'queued', payload: null })
      s.markDone('copied', '/x/c.log', { size: 10, mtimeMs: 1700000000123.25, checksum: 'sha256:abc' })
    })
    withStore(path, (s) => {
      expect(s.list('uploads').map((i) => i.id)).toEqual(['b', 'a']) // oldest first
      expect(s.list('uploads', { status: 'failed' }).map((i) => [i.id, i.attempts, i.lastError, i.payload])).toEqual([['a', 2, 'boom', { path: '/x/a.log', size: 3 }]])
      expect(s.list('uploads', { status: ['pending', 'failed'], limit: 1 }).map((i) => i.id)).toEqual(['b'])
      expect(s.counts('uploads')).toEqual({ pending: 1, failed: 1 })
      expect(s.get('other', 'a')).toMatchObject({ status: 'queued', payload: null })
      expect(s.get('other', 'zz')).toBeUndefined()
      expect(s.getDone('copied', '/x/c.log')?.fingerprint).toEqual({ size: 10, mtimeMs: 1700000000123.25, checksum: 'sha256:abc' })
      expect(s.isDone('copied', '/x/c.log', { size: 10, mtimeMs: 1700000000123.25 })).toBe(true)
      expect(s.isDone('copied', '/x/c.log', { size: 10, mtimeMs: 1700000000123.5 })).toBe(false)
      expect(s.isDone('copied', '/x/c.log', { checksum: 'sha256:abd' })).toBe(false)
      expect(s.isDone('copied', '/x/none.log', {})).toBe(false)
      expect(s.remove('uploads', 'b')).toBe(true)
      expect(s.remove('uploads', 'b')).toBe(false)
    })
  })

  it('markDone with complete removes the item in the same transaction; retain and forget', () => {
    withStore(dbPath(), (s) => {
      s.put('uploads', { id: 'a', status: 'pending', payload: {} })
      s.markDone('uploaded', '/a', { size: 1 }, { queue: 'uploads', id: 'a' })
      expect(s.list('uploads')).toEqual([])
      expect(s.isDone('uploaded', '/a', { size: 1 })).toBe(true)
      s.markDone('uploaded', '/b', { size: 2 })
      s.markDone('uploaded', '/c', { size: 3 })
      expect(s.retainDone('uploaded', new Set(['/a', '/c']))).toBe(1)
      expect(s.listDone('uploaded').map((d) => d.key)).toEqual(['/a', '/c'])
      expect(s.forgetDone('uploaded', ['/a', '/zz'])).toBe(1)
      expect(s.listDone('uploaded').map((d) => d.key)).toEqual(['/c'])
    })
  })

  it('rolls a failed transaction back whole', () => {
    const path = dbPath()
    withStore(path, (s) => {
      s.put('q', { id: 'kept', status: 'pending', payload: 1 })
      expect(() =>
        s.transaction(() => {
          s.put('q', { id: 'lost', status: 'pending', payload: 2 })
          s.markDone('d', 'lost', { size: 2 })
          s.remove('q', 'kept')
          throw new Error('midway')
        }),
      ).toThrow('midway')
      expect(s.list('q').map((i) => i.id)).toEqual(['kept'])
      expect(s.listDone('d')).toEqual([])
    })
  })

  it('is in WAL mode with the schema version in user_version, and records its owner', () => {
    const path = dbPath()
    const s = openStateStore(path, { owner: 'test' })
    try {
      const raw = new Database(path, { readonly: true })
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal')
      expect(raw.pragma('user_version', { simple: true })).toBe(STATE_SCHEMA_VERSION)
      raw.close()
      expect(s.ownerInfo).toMatchObject({ owner: 'test', pid: process.pid })
    } finally {
      s.close()
    }
  })

  it('refuses a second owner in the same process, and a read-only view sees the data meanwhile', () => {
    const path = dbPath()
    const s = openStateStore(path, { owner: 'first' })
    try {
      s.put('q', { id: 'x', status: 'pending', payload: 'p' })
      expect(() => openStateStore(path, { owner: 'second' })).toThrow(
        expect.objectContaining({ code: 'ERR_STATE_LOCKED', path, ownerPid: process.pid, message: expect.stringContaining(`state ${path} is in use by another first of this process`) }),
      )
      const ro = openStateStore(path, { owner: 'reader', readOnly: true })
      expect(ro.list('q').map((i) => i.id)).toEqual(['x'])
      expect(ro.ownerInfo).toMatchObject({ owner: 'first', pid: process.pid })
      expect(() => ro.put('q', { id: 'y', status: 'pending', payload: null })).toThrow(expect.objectContaining({ code: 'ERR_STATE_IO' }))
      ro.close()
      // Closing the refused and the read-only connections did not release the owner's lock.
      expect(() => openStateStore(path, { owner: 'third' })).toThrow(expect.objectContaining({ code: 'ERR_STATE_LOCKED' }))
      s.put('q', { id: 'z', status: 'pending', payload: 'p' })
    } finally {
      s.close()
    }
    expect(() => s.list('q')).toThrow(expect.objectContaining({ code: 'ERR_STATE_CLOSED' }))
    withStore(path, (again) => expect(again.list('q').map((i) => i.id)).toEqual(['x', 'z'])) // released on close
  })

  it('gives ERR_STATE_BUSY, not a raw SQLite error, when another connection holds the write lock past the timeout', () => {
    const path = dbPath()
    const s = openStateStore(path, { owner: 'test', busyTimeout: 150 })
    const raw = new Database(path)
    try {
      raw.exec('BEGIN IMMEDIATE')
      const t0 = Date.now()
      expect(() => s.put('q', { id: 'x', status: 'pending', payload: 1 })).toThrow(
        expect.objectContaining({ name: 'StateStoreError', code: 'ERR_STATE_BUSY', message: expect.stringContaining('150 ms') }),
      )
      expect(Date.now() - t0).toBeGreaterThanOrEqual(140)
      raw.exec('ROLLBACK')
      s.put('q', { id: 'x', status: 'pending', payload: 1 })
      expect(s.list('q')).toHaveLength(1)
    } finally {
      raw.close()
      s.close()
    }
  })

  it('refuses a database of a newer schema version, naming the file and both versions, and leaves it untouched', async () => {
    const path = dbPath()
    withStore(path, (s) => s.put('q', { id: 'x', status: 'pending', payload: 1 }))
    const raw = new Database(path)
    raw.pragma(`user_version = ${STATE_SCHEMA_VERSION + 1}`)
    raw.close()
    const expected = expect.objectContaining({
      code: 'ERR_STATE_VERSION',
      message: expect.stringContaining(`state ${path} has schema version ${STATE_SCHEMA_VERSION + 1}; this release of logferry reads version ${STATE_SCHEMA_VERSION}`),
    })
    expect(() => openStateStore(path, { owner: 'test' })).toThrow(expected)
    expect(() => openStateStore(path, { owner: 'test', readOnly: true })).toThrow(expected)
    // Through the uploader: its state directory's database.
    const u = createUploader({ target: new MemoryFileSystem(), stateDir: join(path, '..') })
    await expect(u.ready()).rejects.toEqual(expected)
    await u.close()
    const check = new Database(path, { readonly: true })
    expect(check.pragma('user_version', { simple: true })).toBe(STATE_SCHEMA_VERSION + 1)
    expect(check.prepare('SELECT count(*) AS n FROM items').get()).toEqual({ n: 1 })
    check.close()
    // The lock was released: after a downgrade of the version by hand, it opens.
    const fix = new Database(path)
    fix.pragma(`user_version = ${STATE_SCHEMA_VERSION}`)
    fix.close()
    withStore(path, (s) => expect(s.list('q')).toHaveLength(1))
  })

  it('refuses a file that is not a state database: another SQLite database, or not SQLite at all', () => {
    const foreign = dbPath()
    withStore(foreign, () => undefined)
    rmSync(foreign)
    const other = new Database(foreign)
    other.exec('CREATE TABLE mine (x)')
    other.close()
    expect(() => openStateStore(foreign, { owner: 'test' })).toThrow(expect.objectContaining({ code: 'ERR_STATE_CORRUPT', message: expect.stringContaining(`state ${foreign} is a SQLite database but not a logferry state database`) }))
    const text = dbPath()
    withStore(text, () => undefined)
    writeFileSync(text, 'hello, I am a text file\n')
    expect(() => openStateStore(text, { owner: 'test' })).toThrow(expect.objectContaining({ code: 'ERR_STATE_CORRUPT', message: expect.stringContaining(`state ${text} is not a logferry state database`) }))
  })

  it('importing the package root does not load better-sqlite3; the first open does', () => {
    const script = `
      import { createRequire } from 'node:module'
      const req = createRequire(import.meta.url)
      const loaded = () => Object.keys(req.cache).some((k) => k.includes('better-sqlite3'))
      await import(${JSON.stringify(fileURLToPath(new URL('../../ts/index.ts', import.meta.url)))})
      const before = loaded()
      const { openStateStore } = await import(${JSON.stringify(fileURLToPath(new URL('../../ts/delivery/state-store.ts', import.meta.url)))})
      openStateStore(${JSON.stringify(dbPath())}, { owner: 't' }).close()
      console.log(JSON.stringify({ before, after: loaded() }))
    `
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]).toString().trim().split('\n').pop()
    expect(JSON.parse(out ?? '')).toEqual({ before: false, after: true })
  })
})
