// Categorisation: the seed's rule table case by case, custom rules, hard links, re-categorising.
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Catalog } from '../../ts/service/categorize/catalog.js'
import { createCategorizer, DEFAULT_RULES } from '../../ts/service/categorize/rules.js'

const work = mkdtempSync(join(tmpdir(), 'lf-categorize-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('the seed table (default rules)', () => {
  const c = createCategorizer(DEFAULT_RULES)
  const cases: [string, string][] = [
    ['server-0.log', 'server'],
    ['my-orchestrator.txt', 'server'],
    ['slurm-job-1.out', 'server'], // slurm-job (server) comes before .out and slurm- (slurm): first match wins
    ['client-3.log', 'client'],
    ['benchmark-run.json', 'client'],
    ['node-monitor.log', 'monitoring'],
    ['prometheus.yml', 'monitoring'],
    ['grafana-agent.log', 'monitoring'],
    ['vllm-worker.log', 'vllm'],
    ['inference.log', 'vllm'],
    ['job_12345.err', 'slurm'],
    ['job_67890.out', 'slurm'],
    ['slurm-99.log', 'slurm'],
    ['sbatch-script.sh', 'slurm'],
    ['logs-service.log', 'logs'],
    ['random.txt', 'uncategorized'],
    ['SERVER-UPPER.LOG', 'server'], // case-insensitive
    ['Client-Mixed.Log', 'client'],
    ['benchmark-client.out', 'client'], // benchmark- (client) comes before .out (slurm)
  ]
  for (const [name, want] of cases) {
    it(`${name} -> ${want}`, () => expect(c.categorize(name)).toBe(want))
  }
  it('model-server.log -> vllm (server- needs the dash after "server")', () => {
    expect(c.categorize('model-server.log')).toBe('vllm')
    expect(c.categorize('model-server-1.log')).toBe('server')
  })
  it('lists the categories in rule order, uncategorized last', () => {
    expect(c.categories).toEqual(['server', 'client', 'monitoring', 'vllm', 'slurm', 'logs', 'uncategorized'])
  })
})

describe('custom rules', () => {
  it('substring, glob and regex; first match wins', () => {
    const c = createCategorizer([
      { category: 'gpu', match: 'regex', pattern: '^gpu\\d+\\.(log|txt)$' },
      { category: 'archives', match: 'glob', pattern: '*.{gz,zst}' },
      { category: 'app', match: 'substring', pattern: 'APP' },
    ])
    expect(c.categorize('gpu12.log')).toBe('gpu')
    expect(c.categorize('GPU1.TXT')).toBe('gpu')
    expect(c.categorize('xgpu1.log')).toBe('uncategorized')
    expect(c.categorize('app.log.gz')).toBe('archives')
    expect(c.categorize('my-app.log')).toBe('app')
    expect(c.categories).toEqual(['gpu', 'archives', 'app', 'uncategorized'])
  })
})

function setup(name: string): { logs: string; cat: string } {
  const root = join(work, name)
  const logs = join(root, 'logs')
  const cat = join(root, 'categorized')
  mkdirSync(join(logs, 'src', 'jobs'), { recursive: true })
  mkdirSync(cat, { recursive: true })
  return { logs, cat }
}

describe('the catalog: hard links under categorized/<category>/<source>/<path>', () => {
  it('links each file (same inode, no copy), counts categories, lists newest first', async () => {
    const { logs, cat } = setup('links')
    writeFileSync(join(logs, 'src', 'server-1.log'), 'one\n')
    writeFileSync(join(logs, 'src', 'jobs', 'slurm-job-1.out'), 'two\n')
    writeFileSync(join(logs, 'src', 'notes.txt'), 'three!\n')
    const catalog = new Catalog({ logsDir: logs, categorizedDir: cat, categorizer: createCategorizer(DEFAULT_RULES) })
    expect(await catalog.reconcile(['src'])).toBe(3)
    const a = statSync(join(logs, 'src', 'jobs', 'slurm-job-1.out'))
    const b = statSync(join(cat, 'server', 'src', 'jobs', 'slurm-job-1.out'))
    expect(b.ino).toBe(a.ino)
    expect(b.dev).toBe(a.dev)
    expect(a.nlink).toBe(2)
    expect(statSync(join(cat, 'uncategorized', 'src', 'notes.txt')).ino).toBe(statSync(join(logs, 'src', 'notes.txt')).ino)
    const byName = Object.fromEntries(catalog.categories().map((c) => [c.name, c]))
    expect(byName.server).toMatchObject({ files: 2, bytes: 8 })
    expect(byName.uncategorized).toMatchObject({ files: 1, bytes: 7 })
    expect(byName.client).toMatchObject({ files: 0, bytes: 0, oldestMtime: null, newestMtime: null })
    const list = catalog.files({ service: 'server' })
    expect(list.total).toBe(2)
    expect(list.files.map((f) => f.path).sort()).toEqual(['categorized/server/src/jobs/slurm-job-1.out', 'categorized/server/src/server-1.log'])
    expect(catalog.files({ name: 'slurm-*' }).files.map((f) => f.sourcePath)).toEqual(['jobs/slurm-job-1.out'])
    // A second reconcile finds every link in place: nothing to do.
    expect(await catalog.reconcile(['src'])).toBe(0)
  })

  it('a file rewritten under the same name (rsync: new inode) is linked again; only the named file is looked at', async () => {
    const { logs, cat } = setup('relink')
    const p = join(logs, 'src', 'client-1.log')
    writeFileSync(p, 'v1\n')
    const catalog = new Catalog({ logsDir: logs, categorizedDir: cat, categorizer: createCategorizer(DEFAULT_RULES) })
    await catalog.reconcile(['src'])
    rmSync(p)
    writeFileSync(p, 'v2 longer\n')
    expect(await catalog.update('src', 'client-1.log')).toBe(true)
    expect(readFileSync(join(cat, 'client', 'src', 'client-1.log'), 'utf8')).toBe('v2 longer\n')
    expect(statSync(join(cat, 'client', 'src', 'client-1.log')).ino).toBe(statSync(p).ino)
    appendFileSync(p, 'more\n') // grown in place: same inode, link still right
    expect(await catalog.update('src', 'client-1.log')).toBe(false)
    expect(catalog.files().files[0]?.size).toBe('v2 longer\nmore\n'.length)
    rmSync(p)
    await catalog.update('src', 'client-1.log')
    expect(existsSync(join(cat, 'client', 'src', 'client-1.log'))).toBe(false)
    expect(catalog.files().total).toBe(0)
  })

  it('a file whose rule changed moves category at the next reconcile (start with new rules)', async () => {
    const { logs, cat } = setup('move')
    writeFileSync(join(logs, 'src', 'gpu0.log'), 'x\n')
    const first = new Catalog({ logsDir: logs, categorizedDir: cat, categorizer: createCategorizer(DEFAULT_RULES) })
    await first.reconcile(['src'])
    expect(existsSync(join(cat, 'uncategorized', 'src', 'gpu0.log'))).toBe(true)
    const second = new Catalog({ logsDir: logs, categorizedDir: cat, categorizer: createCategorizer([{ category: 'gpu', match: 'glob', pattern: 'gpu*.log' }]) })
    expect(await second.reconcile(['src'])).toBe(1)
    expect(existsSync(join(cat, 'gpu', 'src', 'gpu0.log'))).toBe(true)
    expect(existsSync(join(cat, 'uncategorized', 'src', 'gpu0.log'))).toBe(false)
    expect(second.categories().find((c) => c.name === 'gpu')?.files).toBe(1)
  })

  it('skips hidden paths (rsync partial dir, temp files)', async () => {
    const { logs, cat } = setup('hidden')
    mkdirSync(join(logs, 'src', '.rsync-partial'))
    writeFileSync(join(logs, 'src', '.rsync-partial', 'server-1.log'), 'half')
    writeFileSync(join(logs, 'src', '.server-2.log.AbC123'), 'temp')
    const catalog = new Catalog({ logsDir: logs, categorizedDir: cat, categorizer: createCategorizer(DEFAULT_RULES) })
    expect(await catalog.reconcile(['src'])).toBe(0)
    expect(await catalog.update('src', '.rsync-partial/server-1.log')).toBe(false)
    expect(catalog.size).toBe(0)
  })
})
