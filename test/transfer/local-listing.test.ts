/**
 * Planning's listing of local directories (LocalFileSystem.ls on native listDirectory: one
 * pass reads and stats a directory) and the path normalization every planned file goes through
 * several times (normalizePath's fast path for paths already normal).
 */
import { mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { filesystem } from '../../ts/storage/index.js'
import { joinedParts, normalizePath } from '../../ts/storage/path.js'
import { planFiles } from '../../ts/transfer/plan.js'
import { tempDirs } from '../temp-dirs.js'

const { dir } = tempDirs('logferry-listing-')

describe('local listing', () => {
  it('gives every entry with the kind, size and mtime stat gives, sorted, temp names and vanished entries left out', async () => {
    const root = dir()
    mkdirSync(join(root, 'd/e'), { recursive: true })
    writeFileSync(join(root, 'b.log'), 'bb')
    writeFileSync(join(root, 'a.log'), 'a')
    writeFileSync(join(root, 'd/e/c.log'), 'ccc')
    writeFileSync(join(root, '.b.log.logferry-tmp-1-x'), 'partial')
    // A symlink to nothing: gone by the time it is stat'ed, as a file deleted after the readdir.
    symlinkSync(join(root, 'nowhere'), join(root, 'dangling'))
    symlinkSync(join(root, 'a.log'), join(root, 'link.log'))
    const fs = filesystem({ protocol: 'file', root })
    try {
      const top = await fs.ls('')
      expect(top.map((e) => [e.path, e.kind, e.size])).toEqual([
        ['a.log', 'file', 1],
        ['b.log', 'file', 2],
        ['d', 'directory', 0],
        ['link.log', 'file', 1],
      ])
      expect(top[0]?.mtime?.getTime()).toBe(statSync(join(root, 'a.log')).mtime.getTime())
      expect(top[0]?.name).toBe('a.log')
      const all = await fs.ls('', { recursive: true })
      expect(all.map((e) => e.path)).toEqual(['a.log', 'b.log', 'd', 'd/e', 'd/e/c.log', 'link.log'])
      await expect(fs.ls('missing')).rejects.toMatchObject({ code: 'ENOENT' })
      await expect(fs.ls('a.log')).rejects.toMatchObject({ code: 'ENOTDIR' })
    } finally {
      await fs.close()
    }
  })

  it('plans 2,000 files of a directory with their sizes, in name order', async () => {
    const root = dir()
    for (let i = 1999; i >= 0; i--) writeFileSync(join(root, `f-${String(i).padStart(4, '0')}`), Buffer.alloc(i % 7))
    const fs = filesystem({ protocol: 'file', root: '/' })
    try {
      const files = await planFiles(fs, [`${root}/*`], { preserveStructure: false, retries: 0, retryDelay: 0 })
      expect(files).toHaveLength(2000)
      expect(files.map((f) => f.target)).toEqual(Array.from({ length: 2000 }, (_, i) => `f-${String(i).padStart(4, '0')}`))
      expect(files.every((f, i) => f.size === i % 7 && f.mtime instanceof Date && f.error === undefined)).toBe(true)
    } finally {
      await fs.close()
    }
  })
})

describe('normalizePath', () => {
  // Only a path that is already normal may come back as it is: the regex must never pass another.
  it('agrees with split-and-join on every short path of tricky parts', () => {
    const parts = ['a', '.', '..', '/', '\\', '.a', 'a.', '..a', 'é']
    // Every sequence of up to four parts (7,381 paths).
    let level = ['']
    const paths = ['']
    for (let len = 1; len <= 4; len++) {
      level = level.flatMap((p) => parts.map((q) => p + q))
      paths.push(...level)
    }
    for (const p of paths) expect(normalizePath(p), JSON.stringify(p)).toBe(joinedParts(p))
  })
})
