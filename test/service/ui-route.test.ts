/**
 * Where the UI route finds the page's files: service/ui/ beside the running code, from source
 * (ts/service/http/routes -> ts/service/ui), from the bundle (dist/chunk-*.js -> dist/service/ui)
 * and from tsc's per-module output; nothing found is undefined (the route then answers 404 and
 * the API still runs), and a service/ui/ further up than the code's own tree is not taken.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { uiDirectory } from '../../ts/service/http/routes/ui.js'

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'logferry-ui-dir-'))
  for (const d of ['pkg/dist/service/ui', 'pkg/dist/service/http/routes', 'pkg/ts/service/ui', 'pkg/ts/service/http/routes', 'service/ui', 'a/b/c/d/e']) await mkdir(join(root, d), { recursive: true })
  for (const d of ['pkg/dist/service/ui', 'pkg/ts/service/ui', 'service/ui']) await writeFile(join(root, d, 'index.html'), '<!doctype html>')
})
afterAll(async () => rm(root, { recursive: true, force: true }))

describe('uiDirectory', () => {
  it('finds the files from source, from the bundle and from per-module output', () => {
    expect(uiDirectory(join(root, 'pkg/ts/service/http/routes'))).toBe(join(root, 'pkg/ts/service/ui'))
    expect(uiDirectory(join(root, 'pkg/dist'))).toBe(join(root, 'pkg/dist/service/ui'))
    expect(uiDirectory(join(root, 'pkg/dist/service/http/routes'))).toBe(join(root, 'pkg/dist/service/ui'))
  })
  it('is undefined when there are none near the code (a service/ui/ far above is not taken)', () => {
    expect(uiDirectory(join(root, 'a/b/c/d/e'))).toBeUndefined()
  })
  it('is this checkout’s ts/service/ui when running from source', () => {
    expect(uiDirectory()).toBe(join(import.meta.dirname, '..', '..', 'ts', 'service', 'ui'))
  })
})
