/**
 * Many small local files to local disk go through the native batch (local-batches.ts,
 * LocalFileSystem.writeLocalFiles): same report, same verification (a flipped byte in a staged
 * file is ERR_VERIFY_FAILED and nothing under its final name), same overwrite policy, and each
 * file fails on its own with its code while the rest of its batch is published complete.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { isTempName } from '../../ts/storage/path.js'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { LocalFileSystem, type FileSystem } from '../../ts/storage/index.js'
import type { LocalBatchOptions, LocalStagedFile } from '../../ts/storage/local-batch.js'
import { transferFiles, type FileReport, type TransferReport } from '../../ts/transfer/index.js'
import { BATCH_MIN_FILES } from '../../ts/transfer/local-batches.js'
import { flipping, type FlipLog } from '../delivery/flip-faults.js'

const base = mkdtempSync(join(tmpdir(), 'logferry-batch-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))
let dirs = 0
const tempDir = (): string => mkdtempSync(join(base, `d${++dirs}-`))
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const byTarget = (r: TransferReport): Map<string, FileReport> => new Map(r.files.map((f) => [f.target, f]))

/** `count` files of random sizes up to `max` bytes, in a few subdirectories. */
function sourceTree(count: number, max = 9000): { root: string; content: Map<string, Buffer> } {
  const root = tempDir()
  const content = new Map<string, Buffer>()
  for (let i = 0; i < count; i++) {
    const name = `d${i % 3}/sub${i % 2}/f${i}.log`
    const data = randomBytes(i === 0 ? 0 : 1 + ((i * 7919) % max))
    mkdirSync(dirname(join(root, name)), { recursive: true })
    writeFileSync(join(root, name), data)
    content.set(name, data)
  }
  return { root, content }
}

/** Every file under `dir`, hidden temp files included. */
function allFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as { name: string; parentPath: string; isFile(): boolean }[])
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort()
}

/** `fs`, counting its batch and single native writes. */
function counting(fs: FileSystem): { fs: FileSystem; batches: number[]; singles: () => number } {
  const batches: number[] = []
  let singles = 0
  const proxy = new Proxy(fs, {
    get: (t, k, rcv) => {
      const v: unknown = Reflect.get(t, k, rcv)
      if (typeof v !== 'function') return v
      const f = (v as (...a: unknown[]) => unknown).bind(t)
      if (k === 'writeLocalFiles') return (items: unknown[], o: unknown) => (batches.push(items.length), f(items, o))
      if (k === 'writeLocalFile') return (...a: unknown[]) => (singles++, f(...a))
      return f
    },
  })
  return { fs: proxy, batches, singles: () => singles }
}

describe('transferFiles: many small local files in native batches', () => {
  it('copies and verifies every file through batches, with the same report', async () => {
    const { root, content } = sourceTree(120)
    const dst = tempDir()
    const c = counting(new LocalFileSystem({ root: dst }))
    const r = await transferFiles({ source: `file://${root}`, files: '**/*.log', target: c.fs })
    expect(r.ok).toBe(true)
    expect(r.files).toHaveLength(120)
    const files = byTarget(r)
    for (const [name, data] of content) {
      expect(files.get(name)).toMatchObject({ outcome: 'copied', attempts: 1, bytes: data.length, checksum: sha256(data) })
      expect(sha256(readFileSync(join(dst, name)))).toBe(sha256(data))
    }
    expect(c.batches.reduce((a, b) => a + b, 0)).toBe(120)
    expect(c.batches.length).toBeGreaterThan(1)
    expect(c.singles()).toBe(0)
    expect(allFiles(dst)).toEqual([...content.keys()].sort())
  })

  it('a flipped byte in a staged file fails that file ERR_VERIFY_FAILED, once, and nothing is left under its name', async () => {
    const { root, content } = sourceTree(40)
    const dst = tempDir()
    const log: FlipLog = []
    const bad = (p: string): boolean => /f(7|21|33)\.log$/.test(p)
    const r = await transferFiles({ source: `file://${root}`, files: '**/*.log', target: flipping(new LocalFileSystem({ root: dst }), log, { match: bad, at: 10 }), retries: 2, retryDelay: 10 })
    expect(r.ok).toBe(false)
    expect(log.sort()).toEqual([...content.keys()].filter(bad).sort())
    for (const [name, data] of content) {
      const f = byTarget(r).get(name)
      if (bad(name)) expect(f).toMatchObject({ outcome: 'failed', attempts: 1, error: { code: 'ERR_VERIFY_FAILED' } })
      else expect(f).toMatchObject({ outcome: 'copied', checksum: sha256(data) })
    }
    expect(allFiles(dst)).toEqual([...content.keys()].filter((n) => !bad(n)).sort())
  })

  it("overwrite 'never' refuses existing targets (EEXIST, content kept) and copies the others", async () => {
    const { root, content } = sourceTree(30)
    const dst = tempDir()
    const taken = [...content.keys()].slice(3, 6)
    for (const name of taken) {
      mkdirSync(dirname(join(dst, name)), { recursive: true })
      writeFileSync(join(dst, name), 'mine')
    }
    const c2 = counting(new LocalFileSystem({ root: dst }))
    const again = await transferFiles({ source: `file://${root}`, files: '**/*.log', target: c2.fs, overwrite: 'never' })
    expect(c2.batches.length).toBeGreaterThan(0)
    for (const [name, data] of content) {
      const f = byTarget(again).get(name)
      if (taken.includes(name)) {
        expect(f?.outcome).not.toBe('copied')
        expect(readFileSync(join(dst, name), 'utf8')).toBe('mine')
      } else expect(f).toMatchObject({ outcome: 'copied', checksum: sha256(data) })
    }
    expect(allFiles(dst)).toEqual([...content.keys()].sort())
  })

  it("overwrite 'ifChanged' replaces changed targets in batches (known to exist: no link tried first) and skips the same ones", async () => {
    const { root, content } = sourceTree(40)
    const dst = tempDir()
    const first = await transferFiles({ source: `file://${root}`, files: '**/*.log', target: `file://${dst}` })
    expect(first.totals.copied).toBe(40)
    const changed = [...content.keys()].filter((_, i) => i % 2 === 1)
    for (const name of changed) {
      const data = randomBytes(100 + name.length)
      writeFileSync(join(root, name), data)
      content.set(name, data)
    }
    const c2 = counting(new LocalFileSystem({ root: dst }))
    const again = await transferFiles({ source: `file://${root}`, files: '**/*.log', target: c2.fs })
    expect(c2.batches.reduce((n, b) => n + b, 0)).toBe(changed.length)
    for (const [name, data] of content) {
      expect(byTarget(again).get(name)?.outcome).toBe(changed.includes(name) ? 'copied' : 'skipped')
      expect(sha256(readFileSync(join(dst, name)))).toBe(sha256(data))
    }
    expect(allFiles(dst)).toEqual([...content.keys()].sort())
  })

  it('each file fails on its own with its code; the rest of the batch is published complete', async () => {
    const { root, content } = sourceTree(BATCH_MIN_FILES * 2)
    const dst = tempDir()
    // d1 is a file on the target: every file under it fails ENOTDIR, the others are copied.
    writeFileSync(join(dst, 'd1'), 'a file')
    const c = counting(new LocalFileSystem({ root: dst }))
    const r = await transferFiles({ source: `file://${root}`, files: '**/*.log', target: c.fs, retries: 1, retryDelay: 10 })
    expect(c.batches.length).toBeGreaterThan(0)
    for (const [name, data] of content) {
      const f = byTarget(r).get(name)
      if (name.startsWith('d1/')) expect(f).toMatchObject({ outcome: 'failed', attempts: 1, error: { code: 'ENOTDIR' } })
      else expect(f).toMatchObject({ outcome: 'copied', checksum: sha256(data) })
    }
    expect(allFiles(dst)).toEqual(['d1', ...[...content.keys()].filter((n) => !n.startsWith('d1/'))].sort())
  })

  it('writeLocalFiles: a source that is gone is ENOENT for that file only; a refused beforePublish publishes nothing', async () => {
    const { root, content } = sourceTree(4)
    const dst = new LocalFileSystem({ root: tempDir() })
    const names = [...content.keys()]
    const items = [...names.map((n) => ({ localPath: join(root, n), path: `out/${n}` })), { localPath: join(root, 'gone.log'), path: 'out/gone.log' }]
    const r = await dst.writeLocalFiles(items, { checksums: ['md5'], overwrite: true, verify: true })
    expect(r.slice(0, 4).every((x) => x.published && x.error === undefined)).toBe(true)
    expect(r[1]?.read?.sha256).toBe(sha256(content.get(names[1] as string) as Buffer))
    expect(r[1]?.read?.md5).toBe(createHash('md5').update(content.get(names[1] as string) as Buffer).digest('hex'))
    expect(r[1]?.stored?.sha256).toBe(r[1]?.read?.sha256)
    expect(r[4]).toMatchObject({ published: false, error: { code: 'ENOENT' } })
    // A NUL in a path (the native pass joins the batch's paths with it) fails that file alone.
    const nul = await dst.writeLocalFiles([{ localPath: `${root}/x\0y`, path: 'out/nul-src' }, { localPath: join(root, names[1] as string), path: 'out/x\0y' }, { localPath: join(root, names[1] as string), path: 'out/after-nul' }], { checksums: [], overwrite: true, verify: true })
    expect(nul.map((x) => x.error === undefined ? 'ok' : (x.error as { code?: string }).code)).toEqual(['EINVAL', 'EINVAL', 'ok'])
    expect(sha256(await dst.readFile('out/after-nul'))).toBe(sha256(content.get(names[1] as string) as Buffer))
    const refusal = new Error('no')
    const refused = await dst.writeLocalFiles(
      names.map((n) => ({ localPath: join(root, n), path: `other/${n}` })),
      { checksums: [], overwrite: true, verify: true, beforePublish: async () => Promise.reject(refusal) },
    )
    expect(refused.every((x) => !x.published && x.error === refusal)).toBe(true)
    expect(await dst.exists('other')).toBe(true)
    expect((await dst.ls('other', { recursive: true })).filter((e) => e.kind === 'file')).toEqual([])
    expect(allFiles(join(dst.root, 'other'))).toEqual([])
    // No clobber: a target that exists at the publish is EEXIST, and keeps its content.
    const [kept] = await dst.writeLocalFiles([{ localPath: join(root, names[2] as string), path: `out/${names[1] as string}` }], { checksums: [], overwrite: false, verify: true })
    expect(kept).toMatchObject({ published: false, error: { code: 'EEXIST' } })
    expect(sha256(await dst.readFile(`out/${names[1] as string}`))).toBe(sha256(content.get(names[1] as string) as Buffer))
    expect(allFiles(join(dst.root, 'out'))).toEqual([...names, 'after-nul'].sort())
  })

  /** `count` files of the source tree as batch items to `prefix/`. */
  const itemsOf = (root: string, names: readonly string[], prefix: string): { localPath: string; path: string }[] => names.map((n) => ({ localPath: join(root, n), path: `${prefix}/${n}` }))
  const fds = (): number => readdirSync('/proc/self/fd').length

  it('stages unnamed files where the filesystem allows: no name shows before the publish, none stays after', async () => {
    const { root, content } = sourceTree(20)
    const dst = new LocalFileSystem({ root: tempDir() })
    const names = [...content.keys()]
    let during: string[] = []
    let staged: readonly LocalStagedFile[] = []
    let opened = ''
    const r = await dst.writeLocalFiles(itemsOf(root, names, 'out'), {
      checksums: [],
      overwrite: false,
      verify: true,
      beforePublish: async (s) => {
        staged = s
        during = allFiles(dst.root)
        // The staged bytes are open through the path the hook is given (until it returns).
        opened = sha256(readFileSync((s[3] as LocalStagedFile).localPath))
      },
    })
    expect(r.every((x) => x.published && x.stored?.sha256 === x.read?.sha256)).toBe(true)
    expect(staged.map((s) => s.path)).toEqual(names.map((n) => `out/${n}`))
    expect(staged.every((s) => /^\/proc\/self\/fd\/\d+$/.test(s.localPath))).toBe(true)
    expect(opened).toBe(sha256(content.get(names[3] as string) as Buffer))
    expect(() => readFileSync((staged[3] as LocalStagedFile).localPath)).toThrow()
    expect(during).toEqual([])
    expect(allFiles(join(dst.root, 'out'))).toEqual(names.slice().sort())
  })

  it('named staging (what a filesystem without O_TMPFILE gets): hidden temp names while staged, verified the same, none left', async () => {
    const { root, content } = sourceTree(20)
    const dst = new LocalFileSystem({ root: tempDir() })
    const names = [...content.keys()]
    const log: FlipLog = []
    let during: string[] = []
    const bad = (p: string): boolean => p.endsWith('/f5.log')
    const flipped = flipping(dst, log, { match: bad, at: 3 }) as unknown as LocalFileSystem
    const r = await flipped.writeLocalFiles(itemsOf(root, names, 'out'), {
      checksums: [],
      overwrite: true,
      verify: true,
      namedStaging: true,
      beforePublish: async (s) => {
        expect(s.every((x) => x.localPath.startsWith(dst.root) && isTempName(x.localPath.split('/').pop() as string))).toBe(true)
        during = allFiles(dst.root)
      },
    })
    expect(during.length).toBe(names.length)
    expect(during.every((p) => isTempName(p.split('/').pop() as string))).toBe(true)
    expect(log).toEqual(names.filter((n) => bad(`out/${n}`)).map((n) => `out/${n}`))
    names.forEach((n, k) => {
      if (bad(`out/${n}`)) expect(r[k]).toMatchObject({ published: false, stored: { bytes: content.get(n)?.length } })
      else expect(r[k]).toMatchObject({ published: true })
    })
    expect(allFiles(join(dst.root, 'out'))).toEqual(names.filter((n) => !bad(`out/${n}`)).sort())
  })

  it('a target that appears between the stage and the publish: refused without overwrite (kept), replaced with it', async () => {
    const { root, content } = sourceTree(6)
    const names = [...content.keys()]
    const appear = (dir: string): LocalBatchOptions['beforePublish'] => async (staged) => {
      for (const s of staged) {
        mkdirSync(dirname(join(dir, s.path)), { recursive: true })
        writeFileSync(join(dir, s.path), 'theirs')
      }
    }
    for (const overwrite of [false, true]) {
      const dst = new LocalFileSystem({ root: tempDir() })
      const before = fds()
      const r = await dst.writeLocalFiles(itemsOf(root, names, 'out'), { checksums: [], overwrite, verify: true, beforePublish: appear(dst.root) })
      for (const [k, n] of names.entries()) {
        const now = readFileSync(join(dst.root, 'out', n))
        if (overwrite) {
          expect(r[k]).toMatchObject({ published: true })
          expect(sha256(now)).toBe(sha256(content.get(n) as Buffer))
        } else {
          expect(r[k]).toMatchObject({ published: false, error: { code: 'EEXIST' } })
          expect(now.toString()).toBe('theirs')
        }
      }
      expect(allFiles(join(dst.root, 'out'))).toEqual(names.slice().sort())
      expect(fds()).toBe(before)
    }
  })

  it('no fd outlives a batch, whatever fails in it', async () => {
    const { root, content } = sourceTree(40)
    const names = [...content.keys()]
    const dst = new LocalFileSystem({ root: tempDir() })
    writeFileSync(join(dst.root, 'd1'), 'a file')
    const items = [...itemsOf(root, names, ''), { localPath: join(root, 'gone.log'), path: 'gone.log' }]
    const before = fds()
    // Sources gone, parents that are files (ENOTDIR), a refused hook: nothing published, all closed.
    const refused = await dst.writeLocalFiles(items, { checksums: [], overwrite: true, verify: true, beforePublish: async () => Promise.reject(new Error('no')) })
    expect(refused.every((x) => !x.published && x.error !== undefined)).toBe(true)
    expect(fds()).toBe(before)
    // Staged copies damaged behind the batch's back (all but the empty one, which has no byte to flip).
    const log: FlipLog = []
    const damaged = await (flipping(dst, log, { at: 0 }) as unknown as LocalFileSystem).writeLocalFiles(items, { checksums: [], overwrite: false, verify: true })
    expect(log.length).toBe(names.filter((n) => !n.startsWith('d1/')).length)
    expect(damaged.filter((x) => x.published).map((x) => x.read?.bytes)).toEqual([0])
    rmSync(join(dst.root, names[0] as string))
    expect(fds()).toBe(before)
    // The same batch published (the d1/ files still ENOTDIR, gone.log ENOENT).
    const ok = await dst.writeLocalFiles(items, { checksums: [], overwrite: false, verify: true })
    expect(ok.filter((x) => x.published).length).toBe(names.filter((n) => !n.startsWith('d1/')).length)
    expect(fds()).toBe(before)
    expect(allFiles(dst.root)).toEqual(['d1', ...names.filter((n) => !n.startsWith('d1/'))].sort())
  })
})
