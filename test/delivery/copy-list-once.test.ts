/**
 * A copy job run lists each source directory exactly once: it selects files from its own
 * listing and hands them to transferFiles as a planned list (no second listing, no stat), with
 * the targets its patterns give (preserveStructure: relative to the first matching glob's base).
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CopyJob, type CopyJobHooks } from '../../ts/copy/copy-job.js'
import { resolveCopyJob } from '../../ts/copy/options.js'
import { MemoryFileSystem, filesystem, transferFiles, type FileSystem } from '../../ts/index.js'
import { normalizePath } from '../../ts/storage/path.js'
import { tempDir, writeTree } from '../copy/helpers.js'

/** The real local filesystem; every ls and stat made through it is recorded by path. */
function counting(inner: FileSystem): { fs: FileSystem; calls: { ls: string[]; stat: string[] } } {
  const calls = { ls: [] as string[], stat: [] as string[] }
  const fs = new Proxy(inner, {
    get(target, key, receiver) {
      if (key === 'ls') return (path: string, options?: unknown) => (calls.ls.push(normalizePath(path)), target.ls(path, options as never))
      if (key === 'stat') return (path: string) => (calls.stat.push(normalizePath(path)), target.stat(path))
      const v: unknown = Reflect.get(target, key, receiver)
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    },
  })
  return { fs, calls }
}

const hooks: CopyJobHooks = { onRunStart: () => undefined, onRunEnd: () => undefined, onWarning: () => undefined, keepAlive: false }

describe('copy job listing', () => {
  it('lists each directory once per run and copies the selected files to the targets its patterns give', async () => {
    const src = tempDir()
    const rel = normalizePath(src)
    writeTree(src, {
      'app/x/a.log': 'alpha\n',
      'app/y/b.log': 'bravo\n',
      'app/skip.txt': 'not matched\n',
      'other/c.log': 'charlie\n',
      'single.txt': 'one file\n',
    })
    const { fs: local, calls } = counting(filesystem({ protocol: 'file', root: '/' }))
    const dest = new MemoryFileSystem()
    const o = resolveCopyJob({
      name: 'once',
      // app/x/a.log matches the first and the second pattern: the first one's base wins.
      localPattern: [`${src}/app/**/*.log`, `${src}/app/x/*.log`, `${src}/other/*.log`, `${src}/single.txt`],
      destination: dest,
      stateDir: join(tempDir(), 'state'),
      runOnStart: false,
      interval: 3_600_000,
    })
    const job = new CopyJob(o, hooks, local)
    try {
      const first = await job.runNow()
      expect(first).toMatchObject({ matched: 4, copied: 4, failed: 0, error: undefined })
      expect((await dest.ls('', { recursive: true })).filter((e) => e.kind === 'file').map((e) => e.path).sort()).toEqual(['c.log', 'single.txt', 'x/a.log', 'y/b.log'])
      expect((await dest.readFile('x/a.log')).toString()).toBe('alpha\n')
      // One listing per pattern's directory and one stat for the literal file: nothing from transferFiles.
      expect(calls.ls.sort()).toEqual([`${rel}/app`, `${rel}/app/x`, `${rel}/other`])
      expect(calls.stat).toEqual([`${rel}/single.txt`])

      // A run with nothing new lists again, once, and copies nothing.
      Object.assign(calls, { ls: [], stat: [] })
      const second = await job.runNow()
      expect(second).toMatchObject({ matched: 4, copied: 0, unchanged: 4 })
      expect(calls.ls.sort()).toEqual([`${rel}/app`, `${rel}/app/x`, `${rel}/other`])
      expect(calls.stat).toEqual([`${rel}/single.txt`])
    } finally {
      await (await job.stop(1000)).settled
    }
  })

  it('transferFiles with a planned list copies exactly those files without listing or statting the source', async () => {
    const source = new MemoryFileSystem()
    await source.writeFile('in/a.log', 'alpha\n')
    await source.writeFile('in/deep/b.log', 'bravo\n')
    await source.writeFile('in/not-planned.log', 'nope\n')
    const { fs, calls } = counting(source)
    const target = new MemoryFileSystem()
    const r = await transferFiles({
      files: { source: fs, planned: [{ path: 'in/a.log', target: 'out/a.log', size: 6 }, { path: 'in/deep/b.log', size: 6 }] },
      target,
      overwrite: 'always',
    })
    expect(r.files.map((f) => [f.source, f.target, f.outcome])).toEqual([
      ['in/a.log', 'out/a.log', 'copied'],
      ['in/deep/b.log', 'in/deep/b.log', 'copied'],
    ])
    expect(calls).toEqual({ ls: [], stat: [] })
    expect(await target.exists('in/not-planned.log')).toBe(false)
    // Without a target and without preserveStructure a file keeps its basename; two files for one
    // target are refused before anything is copied.
    const flat = await transferFiles({ files: { source, planned: [{ path: 'in/deep/b.log', size: 6 }] }, target, preserveStructure: false, overwrite: 'always' })
    expect(flat.files[0]).toMatchObject({ target: 'b.log', outcome: 'copied' })
    await expect(
      transferFiles({ files: { source, planned: [{ path: 'in/a.log', target: 'x.log', size: 6 }, { path: 'in/deep/b.log', target: 'x.log', size: 6 }] }, target }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
    await expect(transferFiles({ files: { source, planned: [{ path: 'in/a.log', size: -1 }] }, target })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringContaining('files.planned[0].size') })
  })
})
