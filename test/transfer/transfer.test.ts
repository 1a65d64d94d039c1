/**
 * transferFiles with the 'storage' method against the real servers started by globalSetup:
 * local -> s3, local -> hdfs, hdfs -> s3, memory -> sftp, plus failure injection through
 * FileSystem wrappers (corrupting writes, transient and permanent read errors, slow reads).
 */
import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable, Writable, finished } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { S3FileSystem, StorageError, filesystem, type FileSystem } from '../../ts/storage/index.js'
import {
  TransferAbortError,
  transferFiles,
  type FileReport,
  type TransferProgress,
  type TransferReport,
} from '../../ts/transfer/index.js'
import { missing, remote } from './servers.js'
import { localTree as treeAt } from './fixtures.js'
import { inCI } from '../servers/ci.js'

const MiB = 1 << 20
const skipUnless = (...names: ('s3' | 'hdfs' | 'sftp')[]): boolean => !inCI && names.some((n) => Boolean(missing(n)))

const opened: FileSystem[] = []
let memories = 0
const make = (name: 's3' | 'hdfs' | 'sftp' | 'memory' | 'local'): FileSystem => {
  const fs =
    name === 'memory'
      ? filesystem(`memory://transfer-${process.pid}-${Date.now().toString(36)}-${++memories}`)
      : name === 'local'
        ? filesystem(`file://${mkdtempSync(join(tmpBase, 'fs-'))}`)
        : remote(name)
  opened.push(fs)
  return fs
}
afterAll(async () => {
  await Promise.all(opened.map((fs) => fs.close().catch(() => undefined)))
})

const tmpBase = mkdtempSync(join(tmpdir(), 'logferry-transfer-'))
afterAll(() => rmSync(tmpBase, { recursive: true, force: true }))

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** A fixture tree: `count` small files over nested directories plus, optionally, one 8 MiB file. */
function fixtureFiles(count: number, big: boolean): Map<string, Buffer> {
  const files = new Map<string, Buffer>()
  for (let i = 0; i < count; i++) {
    const dir = i % 3 === 0 ? '' : i % 3 === 1 ? 'app/' : 'app/deep/nested/'
    files.set(`${dir}f${i}.log`, Buffer.from(`line ${i} ${randomBytes(8 + (i % 5) * 100).toString('hex')}\n`))
  }
  if (big) files.set('data/big.bin', randomBytes(8 * MiB))
  return files
}

const localTree = (files: Map<string, Buffer>): string => treeAt(tmpBase, files)

async function seed(fs: FileSystem, files: Map<string, Buffer>, prefix = ''): Promise<void> {
  for (const [rel, data] of files) await fs.writeFile(`${prefix}${rel}`, data)
}

/** Every file under the root of `fs` with its sha256. */
async function contents(fs: FileSystem, under = ''): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const e of await fs.ls(under, { recursive: true })) {
    if (e.kind === 'file') out.set(under ? e.path.slice(under.length + 1) : e.path, sha256(await fs.readFile(e.path)))
  }
  return out
}

const expected = (files: Map<string, Buffer>): Map<string, string> =>
  new Map([...files].map(([k, v]) => [k, sha256(v)]))

function byTarget(report: TransferReport): Map<string, FileReport> {
  return new Map(report.files.map((f) => [f.target, f]))
}

function expectAll(report: TransferReport, outcome: FileReport['outcome'], attempts: number): void {
  for (const f of report.files) {
    expect({ target: f.target, outcome: f.outcome, attempts: f.attempts, error: f.error?.message }).toEqual({
      target: f.target,
      outcome,
      attempts,
      error: undefined,
    })
  }
}

/** A FileSystem that delegates to `inner` except for the overridden methods. */
function wrap(inner: FileSystem, overrides: Partial<FileSystem>): FileSystem {
  return new Proxy(inner, {
    get(target, key, receiver) {
      if (typeof key === 'string' && key in overrides) return (overrides as Record<string, unknown>)[key]
      const v: unknown = Reflect.get(target, key, receiver)
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    },
  })
}

/** A write stream that flips the first byte it is given before passing it to `inner`. */
function corrupting(inner: Writable): Writable {
  let first = true
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      let c = chunk
      if (first && c.length > 0) {
        c = Buffer.from(c)
        c[0] = (c[0] ?? 0) ^ 0xff
        first = false
      }
      inner.write(c, (err) => cb(err ?? null))
    },
    final(cb) {
      inner.end()
      finished(inner, (err) => cb(err ?? null))
    },
    destroy(err, cb) {
      inner.destroy(err ?? undefined)
      cb(err)
    },
  })
}

function failingRead(code: 'ETRANSIENT' | 'ENOENT', times: number, inner: FileSystem): { fs: FileSystem; calls: () => number } {
  let calls = 0
  const fs = wrap(inner, {
    createReadStream(path, options) {
      calls++
      if (calls <= times) {
        const r = new Readable({ read() {} })
        process.nextTick(() => r.destroy(new StorageError(code, { backend: inner.protocol, path, detail: 'injected' })))
        return r
      }
      return inner.createReadStream(path, options)
    },
  })
  return { fs, calls: () => calls }
}

describe.skipIf(skipUnless('s3'))('transferFiles: local -> s3', () => {
  it('copies many small files and an 8 MiB file, keeps structure, skips them on a second run', async () => {
    const files = fixtureFiles(30, true)
    const root = localTree(files)
    const s3 = make('s3')
    const events: TransferProgress[] = []
    const first = await transferFiles({
      files: [`${root}/logs/**/*.log`, `${root}/logs/data/big.bin`],
      target: s3,
      concurrency: 6,
      onProgress: (p) => events.push(p),
    })
    expect(first.ok).toBe(true)
    expect(first.totals).toMatchObject({ files: 31, copied: 31, skipped: 0, failed: 0 })
    // The glob keeps paths relative to its base (logs/); the literal file keeps its basename.
    const want = expected(files)
    want.set('big.bin', want.get('data/big.bin') ?? '')
    want.delete('data/big.bin')
    expect(await contents(s3)).toEqual(want)
    const big = byTarget(first).get('big.bin')
    expect(big).toMatchObject({ bytes: 8 * MiB, method: 'storage', attempts: 1, outcome: 'copied', checksum: want.get('big.bin') })
    expect(big?.durationMs).toBeGreaterThanOrEqual(0)
    expect(first.totals.bytes).toBe([...files.values()].reduce((n, b) => n + b.length, 0))
    const last = events.at(-1)
    expect(last).toEqual({ bytesDone: first.totals.bytes, bytesTotal: first.totals.bytes, filesDone: 31, filesTotal: 31 })
    expect(events.some((e) => e.bytesDone > 0 && e.bytesDone < e.bytesTotal)).toBe(true)

    const second = await transferFiles({ files: [`${root}/logs/**/*.log`, `${root}/logs/data/big.bin`], target: s3 })
    expect(second.totals).toMatchObject({ files: 31, copied: 0, skipped: 31, failed: 0, bytes: 0 })
    expectAll(second, 'skipped', 0)
  })

  it("verifies single-part uploads by the MD5 in S3's answer (no HEAD), multipart ones by a stat", async () => {
    const files = new Map([['small.log', randomBytes(100 << 10)], ['big.bin', randomBytes(9 * MiB)]])
    const root = localTree(files)
    const s3 = make('s3')
    const statted: string[] = []
    const counted = wrap(s3, {
      stat: (path) => {
        statted.push(path)
        return s3.stat(path)
      },
    })
    // Streamed from a filesystem that is not local, the 9 MiB file is a multipart stream write.
    const mem = make('memory')
    for (const [name, data] of files) await mem.writeFile(`logs/${name}`, data)
    const r = await transferFiles({ source: mem, files: 'logs/*', target: counted, overwrite: 'always' })
    expectAll(r, 'copied', 1)
    expect(statted).toEqual(['big.bin'])
    expect(await contents(s3)).toEqual(expected(files))
    // From local files both are one PUT (S3 writeLocalFile, up to 5 GiB): the answer decides.
    statted.length = 0
    expectAll(await transferFiles({ source: `file://${root}`, files: 'logs/*', target: counted, overwrite: 'always' }), 'copied', 1)
    expect(statted).toEqual([])
    expect(await contents(s3)).toEqual(expected(files))
  })

  it('a first copy of 20 files into an empty prefix costs one LIST and one PUT per file', async () => {
    const files = fixtureFiles(20, false)
    const flat = new Map([...files].map(([k, v]) => [k.split('/').pop() as string, v]))
    const root = localTree(flat)
    const s3 = make('s3')
    const requests: string[] = []
    const original = http.request
    const spy = (...args: Parameters<typeof http.request>): ReturnType<typeof http.request> => {
      const o = args.find((a): a is http.RequestOptions => typeof a === 'object' && a !== null && 'method' in a)
      requests.push(`${o?.method ?? '?'} ${String(o?.path ?? '').includes('list-type') ? 'LIST' : 'OBJECT'}`)
      return original(...args)
    }
    // An exact count needs every retry level off: the SDK's (maxAttempts 1, the S3FileSystem
    // default) and transferFiles' own (retries: 0). A failed request then fails the copy instead
    // of adding a request to the count.
    expect(await (s3 as S3FileSystem).client.config.maxAttempts()).toBe(1)
    ;(http as { request: unknown }).request = spy
    try {
      const r = await transferFiles({ source: `file://${root}`, files: 'logs/*', target: s3, retries: 0 })
      expectAll(r, 'copied', 1)
    } finally {
      ;(http as { request: unknown }).request = original
    }
    expect(requests.filter((x) => x === 'GET LIST')).toHaveLength(1)
    expect(requests.filter((x) => x === 'PUT OBJECT')).toHaveLength(20)
    expect(requests).toHaveLength(21)
    expect(await contents(s3)).toEqual(expected(flat))
  })

  it('copies again what changed since the last run', async () => {
    const files = fixtureFiles(4, false)
    const root = localTree(files)
    const s3 = make('s3')
    await transferFiles({ files: `${root}/logs/**`, target: s3 })
    writeFileSync(join(root, 'logs', 'f0.log'), 'changed and longer than before, surely\n')
    const again = await transferFiles({ files: `${root}/logs/**`, target: s3 })
    expect(byTarget(again).get('f0.log')).toMatchObject({ outcome: 'copied', attempts: 1 })
    expect(again.totals).toMatchObject({ copied: 1, skipped: 3 })
    expect((await s3.readFile('f0.log')).toString()).toBe('changed and longer than before, surely\n')
  })
})

describe.skipIf(skipUnless('hdfs'))('transferFiles: local -> hdfs', () => {
  it('copies files through temp + rename, leaves no temp files, skips on a second run', async () => {
    const files = fixtureFiles(12, true)
    const root = localTree(files)
    const hdfs = make('hdfs')
    const report = await transferFiles({ source: `file://${root}`, files: 'logs/**', target: hdfs, concurrency: 4 })
    expect(report.ok).toBe(true)
    expectAll(report, 'copied', 1)
    expect(await contents(hdfs)).toEqual(expected(files))
    const names = (await hdfs.ls('', { recursive: true })).map((e) => e.name)
    expect(names.filter((n) => n.includes('tmp'))).toEqual([])

    const second = await transferFiles({ source: `file://${root}`, files: 'logs/**', target: hdfs })
    expectAll(second, 'skipped', 0)
  })

  it("verifies against HDFS's own checksum (no read-back) and catches a corrupted write", async () => {
    const hdfs = make('hdfs')
    const src = make('memory')
    await src.writeFile('ok.bin', randomBytes(3 * MiB + 17))
    await src.writeFile('bad.bin', randomBytes(MiB))
    let readBack = 0
    const target = wrap(hdfs, {
      createReadStream: (path, options) => {
        readBack++
        return hdfs.createReadStream(path, options)
      },
      createWriteStream: (path, options) => (path.includes('bad.bin') ? corrupting(hdfs.createWriteStream(path, options)) : hdfs.createWriteStream(path, options)),
    })
    const r = await transferFiles({ source: src, files: '*.bin', target, retries: 0 })
    expect(byTarget(r).get('ok.bin')).toMatchObject({ outcome: 'copied' })
    const bad = byTarget(r).get('bad.bin')
    expect(bad).toMatchObject({ outcome: 'failed', error: { code: 'ERR_VERIFY_FAILED' } })
    expect(bad?.error?.message).toMatch(/HDFS checksum/)
    expect(readBack).toBe(0)
    expect(sha256(await hdfs.readFile('ok.bin'))).toBe(sha256(await src.readFile('ok.bin')))
    expect((await hdfs.ls('', { recursive: true })).map((e) => e.name)).toEqual(['ok.bin'])
  })

  it('flattens with preserveStructure: false and rejects colliding basenames', async () => {
    const files = new Map([
      ['a/one.log', Buffer.from('1')],
      ['b/two.log', Buffer.from('22')],
    ])
    const root = localTree(files)
    const hdfs = make('hdfs')
    const r = await transferFiles({ source: `file://${root}`, files: ['logs/**/*.log'], target: hdfs, preserveStructure: false })
    expect(r.totals.copied).toBe(2)
    expect([...(await contents(hdfs)).keys()].sort()).toEqual(['one.log', 'two.log'])
    writeFileSync(join(root, 'logs', 'b', 'one.log'), 'dup')
    await expect(
      transferFiles({ source: `file://${root}`, files: ['logs/**/*.log'], target: hdfs, preserveStructure: false }),
    ).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_INVALID_ARG' })
  })
})

describe.skipIf(skipUnless('hdfs', 's3'))('transferFiles: hdfs -> s3 (cross-backend)', () => {
  it('streams from WebHDFS to S3 and verifies', async () => {
    const files = fixtureFiles(9, true)
    const hdfs = make('hdfs')
    const s3 = make('s3')
    await seed(hdfs, files, 'in/')
    const r = await transferFiles({ files: { source: hdfs, paths: ['in/**'] }, target: s3, concurrency: 3 })
    expect(r.ok).toBe(true)
    expectAll(r, 'copied', 1)
    expect(await contents(s3)).toEqual(expected(files))
  })
})

describe.skipIf(skipUnless('sftp'))('transferFiles: memory -> sftp', () => {
  it('copies, honours overwrite never / always, and the ifChanged size rule', async () => {
    const files = fixtureFiles(8, false)
    const mem = make('memory')
    const sftp = make('sftp')
    await seed(mem, files)
    const first = await transferFiles({ source: mem, files: '**', target: sftp })
    expectAll(first, 'copied', 1)
    expect(await contents(sftp)).toEqual(expected(files))

    await mem.writeFile('f0.log', 'new content for f0, a different size\n')
    const never = await transferFiles({ source: mem, files: '**', target: sftp, overwrite: 'never' })
    expectAll(never, 'skipped', 0)
    expect(await sftp.readFile('f0.log')).toEqual(files.get('f0.log'))

    const changed = await transferFiles({ source: mem, files: '**', target: sftp })
    expect(changed.totals).toMatchObject({ copied: 1, skipped: 7 })
    expect((await sftp.readFile('f0.log')).toString()).toBe('new content for f0, a different size\n')

    const always = await transferFiles({ source: mem, files: '**', target: sftp, overwrite: 'always' })
    expectAll(always, 'copied', 1)
    const names = (await sftp.ls('', { recursive: true })).map((e) => e.name)
    expect(names.filter((n) => n.includes('tmp'))).toEqual([])
  })
})

describe('transferFiles: failures, retries and control', () => {
  it('verify catches a corrupted write (direct object write): failed, target removed', async () => {
    const src = make('memory')
    const inner = make('memory')
    await seed(src, new Map([['a.log', Buffer.from('hello world\n')], ['b.log', Buffer.from('fine\n')]]))
    const bad = wrap(inner, {
      createWriteStream: (path, options) => (path.endsWith('a.log') ? corrupting(inner.createWriteStream(path, options)) : inner.createWriteStream(path, options)),
    })
    const r = await transferFiles({ source: src, files: '*.log', target: bad, retryDelay: 1 })
    expect(r.ok).toBe(false)
    expect(r.totals).toMatchObject({ copied: 1, failed: 1 })
    const a = byTarget(r).get('a.log')
    expect(a).toMatchObject({ outcome: 'failed', attempts: 1, error: { code: 'ERR_VERIFY_FAILED' } })
    expect(await inner.exists('a.log')).toBe(false)
    expect((await inner.readFile('b.log')).toString()).toBe('fine\n')
  })

  it('verify catches a corrupted write (temp + rename): nothing published, no temp left, source kept', async () => {
    const src = make('memory')
    const local = make('local')
    await src.writeFile('x/a.log', randomBytes(3 * MiB))
    const bad = wrap(local, { createWriteStream: (path, options) => corrupting(local.createWriteStream(path, options)) })
    const r = await transferFiles({ source: src, files: 'x/a.log', target: bad, deleteSource: true })
    expect(byTarget(r).get('a.log')).toMatchObject({ outcome: 'failed', error: { code: 'ERR_VERIFY_FAILED' } })
    expect(await local.ls('', { recursive: true })).toEqual([])
    expect(await src.exists('x/a.log')).toBe(true)
  })

  it('retries ETRANSIENT with backoff: attempts 3, copied', async () => {
    const src = make('memory')
    const dst = make('memory')
    await src.writeFile('t.log', 'transient\n')
    const flaky = failingRead('ETRANSIENT', 2, src)
    const t0 = Date.now()
    const r = await transferFiles({ source: flaky.fs, files: 't.log', target: dst, retries: 3, retryDelay: 20 })
    expect(byTarget(r).get('t.log')).toMatchObject({ outcome: 'copied', attempts: 3 })
    expect(flaky.calls()).toBe(3)
    expect(Date.now() - t0).toBeLessThan(5_000)
    expect((await dst.readFile('t.log')).toString()).toBe('transient\n')
  })

  it('gives up after `retries` retries and reports the file failed while others continue', async () => {
    const src = make('memory')
    const dst = make('memory')
    await seed(src, new Map([['a.log', Buffer.from('a')], ['b.log', Buffer.from('b')]]))
    let calls = 0
    const flaky = wrap(src, {
      createReadStream: (path, options) => {
        if (!path.endsWith('a.log')) return src.createReadStream(path, options)
        calls++
        return new Readable({
          read() {
            this.destroy(new StorageError('ETRANSIENT', { backend: 'memory', path, detail: 'injected' }))
          },
        })
      },
    })
    const r = await transferFiles({ source: flaky, files: '*.log', target: dst, retries: 2, retryDelay: 1 })
    expect(r.ok).toBe(false)
    expect(byTarget(r).get('a.log')).toMatchObject({ outcome: 'failed', attempts: 3, error: { code: 'ETRANSIENT' } })
    expect(byTarget(r).get('b.log')).toMatchObject({ outcome: 'copied', attempts: 1 })
    expect(calls).toBe(3)
  })

  it('does not retry ENOENT (missing literal path, or a read that fails with ENOENT)', async () => {
    const src = make('memory')
    const dst = make('memory')
    await seed(src, new Map([['here.log', Buffer.from('here')], ['gone.log', Buffer.from('gone')]]))
    const r1 = await transferFiles({ source: src, files: ['here.log', 'missing.log'], target: dst, retryDelay: 1 })
    expect(r1.totals).toMatchObject({ files: 2, copied: 1, failed: 1 })
    expect(byTarget(r1).get('missing.log')).toMatchObject({ outcome: 'failed', attempts: 1, error: { code: 'ENOENT' } })

    const vanishing = failingRead('ENOENT', 1, src)
    const r2 = await transferFiles({ source: vanishing.fs, files: 'gone.log', target: dst, retryDelay: 1 })
    expect(byTarget(r2).get('gone.log')).toMatchObject({ outcome: 'failed', attempts: 1, error: { code: 'ENOENT' } })
    expect(vanishing.calls()).toBe(1)
  })

  it('learns missing targets from one listing per directory (>= 16 files), stats only what exists', async () => {
    const src = make('memory')
    await seed(src, fixtureFiles(40, false))
    const calls = { stat: 0, ls: 0 }
    const counting = (inner: FileSystem): FileSystem =>
      wrap(inner, {
        stat: (path) => {
          calls.stat++
          return inner.stat(path)
        },
        ls: (path, options) => {
          calls.ls++
          return inner.ls(path, options)
        },
      })
    // Three target directories of 13-14 files each: below the threshold, each file is stat'ed.
    const first = await transferFiles({ source: src, files: '**/*.log', target: counting(make('memory')), verify: false })
    expectAll(first, 'copied', 1)
    expect(calls.stat).toBeGreaterThanOrEqual(40)
    // One directory of 40: one listing, no stat.
    const flat = counting(make('memory'))
    Object.assign(calls, { stat: 0, ls: 0 })
    const again = await transferFiles({ source: src, files: '**/*.log', target: flat, preserveStructure: false, verify: false })
    expectAll(again, 'copied', 1)
    expect(calls).toEqual({ stat: 0, ls: 1 })
    // Now every target exists: the listing says so, and each file's skip decision stats it.
    const third = await transferFiles({ source: src, files: '**/*.log', target: flat, preserveStructure: false, verify: false })
    expectAll(third, 'skipped', 0)
    expect(calls.stat).toBe(40)
  })

  it('dryRun plans and reports without writing anything', async () => {
    const files = fixtureFiles(5, false)
    const src = make('memory')
    const dst = make('local')
    await seed(src, files)
    await dst.writeFile('f0.log', files.get('f0.log') ?? '')
    const r = await transferFiles({ source: src, files: '**', target: dst, dryRun: true, deleteSource: true, overwrite: 'never' })
    expect(r.totals).toMatchObject({ files: 5, copied: 0, skipped: 1, dryRun: 4, bytes: 0 })
    expect(byTarget(r).get('app/f1.log')).toMatchObject({ outcome: 'dry-run', attempts: 0 })
    expect([...(await contents(dst)).keys()]).toEqual(['f0.log'])
    expect((await contents(src)).size).toBe(5)
  })

  it('deleteSource removes sources only after a verified copy', async () => {
    const files = fixtureFiles(6, false)
    const root = localTree(files)
    const src = filesystem(`file://${root}`)
    const dst = make('memory')
    const r = await transferFiles({ source: src, files: 'logs/**', target: dst, deleteSource: true })
    expectAll(r, 'copied', 1)
    expect(await contents(dst)).toEqual(expected(files))
    expect((await src.ls('logs', { recursive: true })).filter((e) => e.kind === 'file')).toEqual([])
    await expect(transferFiles({ source: src, files: 'x', target: dst, deleteSource: true, verify: false })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG',
    })
  })

  it('aborts via signal: rejects with AbortError, in-flight copies stop, no partial files', async () => {
    const files = new Map<string, Buffer>()
    for (let i = 0; i < 20; i++) files.set(`f${i}.bin`, randomBytes(256 * 1024))
    const src = make('memory')
    const dstRoot = mkdtempSync(join(tmpBase, 'abort-'))
    const dst = filesystem(`file://${dstRoot}`)
    await seed(src, files)
    // A slow source: 64 KiB every 20 ms.
    const slow = wrap(src, {
      createReadStream: (path) => {
        let off = 0
        let buf: Buffer | undefined
        return new Readable({
          read() {
            const go = async (): Promise<void> => {
              buf ??= await src.readFile(path)
              await new Promise((r) => setTimeout(r, 20))
              const c = buf.subarray(off, off + 64 * 1024)
              off += c.length
              this.push(c.length ? c : null)
            }
            go().catch((e: Error) => this.destroy(e))
          },
        })
      },
    })
    const ac = new AbortController()
    let seen = 0
    const p = transferFiles({
      source: slow,
      files: '*.bin',
      target: dst,
      concurrency: 2,
      signal: ac.signal,
      onProgress: (e) => {
        seen = e.filesDone
        if (e.filesDone >= 2) ac.abort(new Error('stop'))
      },
    })
    const err: unknown = await p.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TransferAbortError)
    expect(err).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' })
    const report = (err as TransferAbortError).report
    expect(report?.files.length).toBeLessThan(20)
    expect(seen).toBeGreaterThanOrEqual(2)
    const written = await dst.ls('', { recursive: true })
    expect(written.length).toBeLessThan(20)
    for (const e of written) expect(sha256(await dst.readFile(e.path))).toBe(sha256(files.get(e.path) ?? Buffer.alloc(0)))
    // Interrupted copies leave no temp files behind (ls hides them, the directory does not).
    expect(readdirSync(dstRoot).sort()).toEqual(written.map((e) => e.path).sort())

    const pre = new AbortController()
    pre.abort()
    await expect(transferFiles({ source: src, files: '*.bin', target: dst, signal: pre.signal })).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('rejects bad options with ERR_INVALID_ARG and unavailable methods with ERR_METHOD_UNAVAILABLE', async () => {
    const mem = make('memory')
    const base = { source: mem, files: '*', target: make('memory') }
    const bad: [Record<string, unknown>, string][] = [
      [{ concurrency: 0 }, 'RangeError'],
      [{ concurrency: 1.5 }, 'RangeError'],
      [{ concurrency: '4' }, 'TypeError'],
      [{ retries: -1 }, 'RangeError'],
      [{ retryDelay: Number.NaN }, 'RangeError'],
      [{ overwrite: 'sometimes' }, 'RangeError'],
      [{ files: [] }, 'RangeError'],
      [{ files: 42 }, 'TypeError'],
      [{ target: undefined }, 'TypeError'],
      [{ target: 'nope://x' }, 'TypeError'],
      [{ verify: 'yes' }, 'TypeError'],
      [{ onProgress: 3 }, 'TypeError'],
      [{ method: 'ftp' }, 'RangeError'],
    ]
    for (const [extra, name] of bad) {
      await expect(transferFiles({ ...base, ...extra } as never), JSON.stringify(extra)).rejects.toMatchObject({ name, code: 'ERR_INVALID_ARG' })
    }
    for (const method of ['distcp', 'hdfs-put', 'hdfs-cp', 'scp'] as const) {
      const err: unknown = await transferFiles({ ...base, method }).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: 'ERR_METHOD_UNAVAILABLE' })
      expect((err as Error).message).toContain(`'${method}'`)
    }
    await mem.writeFile('ok.txt', 'ok')
    const r = await transferFiles({ ...base, method: 'storage' })
    expect(r.files[0]).toMatchObject({ method: 'storage', outcome: 'copied' })
  })
})
