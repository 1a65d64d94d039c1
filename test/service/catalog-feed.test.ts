// Catalog.feed: files categorised while a fetch lands them; what it cannot vouch for is left to the caller.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Catalog } from '../../ts/service/categorize/catalog.js'
import { createCategorizer, DEFAULT_RULES } from '../../ts/service/categorize/rules.js'
import { createClassifier } from '../../ts/service/errors/classifier.js'

const work = mkdtempSync(join(tmpdir(), 'lf-feed-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

function setup(name: string): { catalog: Catalog; put: (rel: string, body: string) => void; categorized: string } {
  const logsDir = join(work, name, 'logs')
  const categorized = join(work, name, 'categorized')
  mkdirSync(join(logsDir, 'src', 'sub'), { recursive: true })
  mkdirSync(categorized, { recursive: true })
  const catalog = new Catalog({ logsDir, categorizedDir: categorized, categorizer: createCategorizer(DEFAULT_RULES), classifier: createClassifier() })
  return { catalog, put: (rel, body) => writeFileSync(join(logsDir, 'src', rel), body), categorized }
}

describe('Catalog.feed', () => {
  it('links and scans each file added; reports the ones done with the size given', async () => {
    const { catalog, put, categorized } = setup('a')
    const feed = catalog.feed('src', 2)
    for (let i = 0; i < 20; i++) {
      put(`server-${i}.log`, `line\nERROR boom ${i}\n`)
      feed.add(`server-${i}.log`, statSync(join(work, 'a', 'logs', 'src', `server-${i}.log`)).size)
    }
    const { linked, done } = await feed.settle()
    expect(linked).toBe(20)
    expect(done.size).toBe(20)
    expect(statSync(join(categorized, 'server', 'src', 'server-7.log')).ino).toBe(statSync(join(work, 'a', 'logs', 'src', 'server-7.log')).ino)
    catalog.flush()
    expect(catalog.errors().total).toBe(20)
  })

  it('leaves to the caller a file not in place yet (missing, or not the size reported) and one added again while its update ran', async () => {
    const { catalog, put } = setup('b')
    put('client-1.log', 'short\n')
    put('client-2.log', 'ok\n')
    const feed = catalog.feed('src', 4)
    feed.add('client-1.log', 1000) // the fetch said 1000 bytes: this is still the old file
    feed.add('missing.log', 3)
    feed.add('client-2.log', 3)
    feed.add('client-2.log', 3) // again while the first update runs
    const { done } = await feed.settle()
    expect([...done]).toEqual([])
    // Once in place, the caller's update sees it.
    put('client-1.log', 'x'.repeat(999) + '\n')
    await catalog.updateMany('src', ['client-1.log', 'client-2.log'])
    expect(catalog.files().files.map((f) => [f.name, f.size]).sort()).toEqual([
      ['client-1.log', 1000],
      ['client-2.log', 3],
    ])
  })

  it('settle() rethrows an update that failed', async () => {
    const { catalog } = setup('c')
    const feed = catalog.feed('src')
    // A directory under the categorised file's place: its link cannot be made.
    mkdirSync(join(work, 'c', 'categorized', 'server', 'src', 'server-x.log'), { recursive: true })
    writeFileSync(join(work, 'c', 'logs', 'src', 'server-x.log'), 'a\n')
    feed.add('server-x.log', 2)
    await expect(feed.settle()).rejects.toThrow()
  })
})
