// Retention: compressed files still served byte-identical (gzip and zstd), nothing touched
// inside the settle time, deletion by age and by size budget, retired files not fetched again,
// error counts carried to the compressed file, and a dry run that changes nothing.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createLogsService } from '../../ts/service/logs-service.js'
import { retentionDryRun } from '../../ts/service/retention/dry-run.js'
import { resolveSettings } from '../../ts/service/settings.js'

const work = mkdtempSync(join(tmpdir(), 'lf-retention-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

const DAY = 86_400_000
const lines = (tag: string, n: number): string => Array.from({ length: n }, (_, i) => `2026-11-01T00:00:${String(i % 60).padStart(2, '0')}Z ${i % 7 === 0 ? 'ERROR' : 'INFO'} ${tag} line ${i} ${'x'.repeat(i % 50)}\n`).join('')

function put(dir: string, name: string, content: string, ageMs: number): void {
  const p = join(dir, name)
  writeFileSync(p, content)
  const t = new Date(Date.now() - ageMs)
  utimesSync(p, t, t)
}

/** Every file under `dir` with size and mtime: the dry run must leave this exactly as it was. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else {
        const s = statSync(p)
        out[relative(dir, p)] = `${s.size}:${s.mtimeMs}:${s.ino}`
      }
    }
  }
  walk(dir)
  return out
}

const policies = {
  server: { compressAfterDays: 2, compression: 'gzip' },
  client: { compressAfterDays: 2, compression: 'zstd' },
  monitoring: { deleteAfterDays: 0 },
  vllm: { maxBytes: 100 },
}

function sourceDir(): string {
  const src = mkdtempSync(join(work, 'src-'))
  put(src, 'server-old.log', lines('server', 500), 10 * DAY)
  put(src, 'client-old.log', lines('client', 300), 10 * DAY)
  // Old enough for every policy, but modified 10 s ago: inside the settle time.
  put(src, 'server-recent.log', lines('recent', 10), 10_000)
  put(src, 'grafana-old.log', 'g\n', 10 * DAY)
  put(src, 'grafana-recent.log', 'g\n', 10_000)
  for (let i = 0; i < 3; i++) put(src, `vllm-${i}.log`, `${'v'.repeat(59)}\n`, (10 - i) * DAY)
  return src
}

describe('retention', () => {
  it('the dry run lists what would be done and changes nothing', async () => {
    const src = sourceDir()
    const dataDir = join(work, 'data-dry')
    const svc = await createLogsService({ cwd: work, env: {}, ignoreEnvFiles: true, http: false, syncInterval: 0, logLevel: 'silent', dataDir, source: src, syncOnStart: false })
    await svc.start()
    await svc.core.triggerSync().done
    await svc.stop()
    const settings = resolveSettings({ cwd: work, env: {}, ignoreEnvFiles: true, dataDir, source: src, retention: { settleSeconds: 3600, policies } as never })
    const before = snapshot(dataDir)
    const actions = await retentionDryRun(settings)
    expect(actions.map((a) => [a.action, a.sourcePath]).sort()).toEqual(
      [
        ['compress', 'client-old.log'],
        ['compress', 'server-old.log'],
        ['delete', 'grafana-old.log'],
        ['delete', 'vllm-0.log'],
        ['delete', 'vllm-1.log'],
      ].sort(),
    )
    expect(actions.find((a) => a.sourcePath === 'client-old.log')?.compression).toBe('zstd')
    expect(snapshot(dataDir)).toEqual(before)
  })

  it('after a sync: compressed (verified, renamed), served byte-identical; deleted by age and budget; the settle time respected; not fetched again', async () => {
    const src = sourceDir()
    const originals = Object.fromEntries(['server-old.log', 'client-old.log'].map((f) => [f, readFileSync(join(src, f))]))
    const srcMtime = statSync(join(src, 'server-old.log')).mtimeMs
    const svc = await createLogsService({ cwd: work, env: {}, ignoreEnvFiles: true, port: 0, syncInterval: 0, logLevel: 'warn', dataDir: join(work, 'data'), source: `box=${src}`, syncOnStart: false, retention: { settleSeconds: 3600, policies } as never })
    await svc.start()
    try {
      const first = await svc.core.triggerSync().done
      expect(first.outcome).toBe('ok')
      const mirror = join(svc.core.logsDir, 'box')
      expect(readdirSync(mirror).filter((f) => !f.startsWith('.')).sort()).toEqual(['client-old.log.zst', 'grafana-recent.log', 'server-old.log.gz', 'server-recent.log', 'vllm-2.log'])
      // The compressed file keeps the original's mtime; no temp file is left.
      expect(statSync(join(mirror, 'server-old.log.gz')).mtimeMs).toBe(srcMtime)
      for (const [name, ext] of [['server-old.log', '.gz'], ['client-old.log', '.zst']] as const) {
        const service = name.startsWith('server') ? 'server' : 'client'
        const whole = await fetch(`${svc.url}/logs/content?path=${encodeURIComponent(`categorized/${service}/box/${name}${ext}`)}`)
        expect(whole.status).toBe(200)
        expect(Buffer.from(await whole.arrayBuffer()).equals(originals[name] as Buffer)).toBe(true)
        const tail = await (await fetch(`${svc.url}/logs/content?path=${encodeURIComponent(`categorized/${service}/box/${name}${ext}`)}&tail=3`)).text()
        expect(tail).toBe((originals[name] as Buffer).toString().split('\n').slice(-4).join('\n'))
      }
      const listed = ((await (await fetch(`${svc.url}/logs?service=server`)).json()) as { files: { name: string }[] }).files.map((f) => f.name).sort()
      expect(listed).toEqual(['server-old.log.gz', 'server-recent.log'])
      // The error counts came with the file into its compressed copy (no rescan needed).
      const stats = ((await (await fetch(`${svc.url}/services/stats`)).json()) as { services: { name: string; errors: number }[] }).services
      expect(stats.find((s) => s.name === 'server')?.errors).toBe(Math.ceil(500 / 7) + 2)
      // The next sync does not fetch the retired originals again, and retention has nothing left to do.
      const second = await svc.core.triggerSync().done
      expect(second.filesTransferred).toBe(0)
      expect(readdirSync(mirror).filter((f) => !f.startsWith('.')).sort()).toEqual(['client-old.log.zst', 'grafana-recent.log', 'server-old.log.gz', 'server-recent.log', 'vllm-2.log'])
      // The source itself is never touched.
      expect(readdirSync(src).length).toBe(8)
    } finally {
      await svc.stop()
    }
  })

  it('policies are validated: unknown category key shape, negative days, unknown codec', () => {
    const base = { cwd: work, env: {}, ignoreEnvFiles: true }
    const key = (retention: unknown): string | undefined => {
      try {
        resolveSettings({ ...base, retention: retention as never })
        return 'accepted'
      } catch (e) {
        return (e as { key?: string }).key
      }
    }
    expect(key({ policies: { server: { compressAfterDays: -1 } } })).toBe('retention.policies.server.compressAfterDays')
    expect(key({ policies: { server: { compression: 'lz4' } } })).toBe('retention.policies.server.compression')
    expect(key({ policies: { '../x': { deleteAfterDays: 1 } } })).toBe('retention.policies.../x')
    expect(key({ policies: { '*': { maxBytes: 10 } } })).toBe('accepted')
  })
})
