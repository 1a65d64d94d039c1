/**
 * The one pattern expansion (ts/storage/glob.ts): globs stand for the files below their literal
 * base that match, a literal file for itself, a literal directory for every file below it, a
 * missing literal for an ENOENT that is reported, not thrown. FileSystem.glob, transferFiles'
 * planning and copy jobs all go through it; checked here on memory and on the local disk.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { expandPatterns } from '../../ts/copy/select.js'
import { LocalFileSystem, MemoryFileSystem, StorageError, transferFiles, type FileSystem } from '../../ts/index.js'
import { expandPattern, isGlob, matchGlob, patternBase } from '../../ts/storage/glob.js'

const TREE = ['logs/a.log', 'logs/b.txt', 'logs/app/c.log', 'logs/app/deep/d.log', 'other/e.log']

const root = mkdtempSync(join(tmpdir(), 'logferry-glob-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

async function memory(): Promise<FileSystem> {
  const fs = new MemoryFileSystem()
  for (const p of TREE) await fs.writeFile(p, p)
  return fs
}

function local(): FileSystem {
  const dir = mkdtempSync(join(root, 'tree-'))
  for (const p of TREE) {
    mkdirSync(dirname(join(dir, p)), { recursive: true })
    writeFileSync(join(dir, p), p)
  }
  return new LocalFileSystem({ root: dir })
}

const paths = (files: { path: string }[]): string[] => files.map((f) => f.path).sort()

describe('patterns', () => {
  it('tells globs from literal paths and finds the base', () => {
    expect(isGlob('logs/*.log')).toBe(true)
    expect(isGlob('logs/{a,b}.log')).toBe(true)
    expect(isGlob('logs/a.log')).toBe(false)
    expect(patternBase('/logs/app/**/*.log')).toBe('logs/app')
    expect(patternBase('logs/a.log')).toBe('logs')
    expect(patternBase('logs/app')).toBe('logs')
    expect(patternBase('*.log')).toBe('')
  })
})

for (const [name, make] of [['memory', memory], ['local', async () => local()]] as const) {
  describe(`expandPattern on ${name}`, () => {
    it('globs: files below the literal base that match', async () => {
      const fs = await make()
      expect(await expandPattern(fs, 'logs/**/*.log').then((e) => ({ base: e.base, files: paths(e.files) }))).toEqual({
        base: 'logs',
        files: ['logs/a.log', 'logs/app/c.log', 'logs/app/deep/d.log'],
      })
      expect(paths((await expandPattern(fs, 'logs/*.{log,txt}')).files)).toEqual(['logs/a.log', 'logs/b.txt'])
      expect(paths((await expandPattern(fs, '/logs/app/?.log')).files)).toEqual(['logs/app/c.log'])
      expect(await expandPattern(fs, 'nowhere/*.log')).toEqual({ base: 'nowhere', files: [] })
    })

    it('a literal file is itself, a literal directory is every file below it', async () => {
      const fs = await make()
      const file = await expandPattern(fs, '/logs/a.log')
      expect(file.base).toBe('logs')
      expect(file.files).toHaveLength(1)
      expect(file.files[0]).toMatchObject({ path: 'logs/a.log', kind: 'file', size: 'logs/a.log'.length })
      const dir = await expandPattern(fs, 'logs/app')
      expect({ base: dir.base, files: paths(dir.files) }).toEqual({ base: 'logs', files: ['logs/app/c.log', 'logs/app/deep/d.log'] })
    })

    it('a missing literal path is reported as ENOENT, not thrown', async () => {
      const fs = await make()
      const missing = await expandPattern(fs, 'logs/missing.log')
      expect(missing.files).toEqual([])
      expect(missing.error).toBeInstanceOf(StorageError)
      expect(missing.error?.code).toBe('ENOENT')
    })

    it('matchGlob and FileSystem.glob also return matching directories', async () => {
      const fs = await make()
      expect(paths(await matchGlob(fs, 'logs/*'))).toEqual(['logs/a.log', 'logs/app', 'logs/b.txt'])
      expect(await fs.glob('logs/**/*.log')).toEqual(['logs/a.log', 'logs/app/c.log', 'logs/app/deep/d.log'])
      expect(await fs.glob('logs/app')).toEqual(['logs/app'])
      expect(await fs.glob('logs/none')).toEqual([])
    })

    it('each listing goes through the caller’s `call` (where transferFiles puts its retries)', async () => {
      const fs = await make()
      let calls = 0
      const r = await expandPattern(fs, 'logs/app', { call: (request) => (calls++, request()) })
      expect(r.files).toHaveLength(2)
      expect(calls).toBe(2) // one stat, one listing
    })
  })
}

describe('the callers agree', () => {
  it('transferFiles and copy job selection expand a pattern list to the same files', async () => {
    const fs = await memory()
    const patterns = ['logs/**/*.log', 'other/e.log', 'logs/app', 'logs/missing.log']
    const selected = await expandPatterns(fs, patterns)
    const target = new MemoryFileSystem()
    const r = await transferFiles({ source: fs, files: patterns, target, dryRun: true })
    const planned = r.files.filter((f) => f.outcome === 'dry-run').map((f) => f.source).sort()
    expect(planned).toEqual([...selected.files.keys()].sort())
    expect(planned).toEqual(['logs/a.log', 'logs/app/c.log', 'logs/app/deep/d.log', 'other/e.log'])
    // The missing literal is a failed file for transferFiles, nothing for a copy job.
    expect(r.files.filter((f) => f.outcome === 'failed').map((f) => [f.source, (f.error as StorageError).code])).toEqual([['logs/missing.log', 'ENOENT']])
    expect(selected.patterns.has('logs/missing.log')).toBe(false)
  })
})
