// createLogsService from the package root: start, serve, sync, stop; refusals before anything is made.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, createLogsService } from '../../ts/index.js'

const work = mkdtempSync(join(tmpdir(), 'lf-logs-service-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('createLogsService (package root)', () => {
  it('starts, answers over HTTP, syncs on trigger and at the interval, stops', async () => {
    const src = mkdtempSync(join(work, 'src-'))
    writeFileSync(join(src, 'prometheus-1.log'), 'p\n')
    const svc = await createLogsService({ cwd: work, env: {}, ignoreEnvFiles: true, port: 0, syncInterval: 1, logLevel: 'silent', dataDir: join(work, 'data'), source: `box=${src}` })
    expect(svc.url).toBeUndefined()
    await svc.start()
    expect(svc.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    await expect(svc.start()).rejects.toThrow(/cannot start/)
    const first = await svc.core.triggerSync().done
    expect(first.sources[0]).toMatchObject({ name: 'box', method: 'local', outcome: 'ok' })
    const status = (await (await fetch(`${svc.url}/status`)).json()) as { sources: { name: string; lastOutcome: string; nextSyncAt?: string }[] }
    expect(status.sources[0]).toMatchObject({ name: 'box', lastOutcome: 'ok' })
    expect(Date.parse(status.sources[0]?.nextSyncAt ?? '')).toBeGreaterThan(Date.now() - 1000)
    // The interval sync picks up a new file without a trigger.
    writeFileSync(join(src, 'grafana-2.log'), 'g\n')
    const deadline = Date.now() + 15_000
    while (!svc.core.files({ service: 'monitoring' }).files.some((f) => f.name === 'grafana-2.log') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    expect(svc.core.files({ service: 'monitoring' }).total).toBe(2)
    expect(svc.core.status().lastSync?.trigger).toBe('interval')
    const url = svc.url as string
    await svc.stop()
    await expect(fetch(`${url}/health`)).rejects.toThrow()
    await svc.stop() // a second stop is harmless
  })

  it('a partial limits object still gives GET /logs its default and its maximum (no 500)', async () => {
    const src = mkdtempSync(join(work, 'src-'))
    for (let i = 0; i < 5; i++) writeFileSync(join(src, `server-${i}.log`), `${i}\n`)
    const svc = await createLogsService({ cwd: work, env: {}, ignoreEnvFiles: true, port: 0, syncInterval: 0, logLevel: 'silent', dataDir: join(work, 'data-limits'), source: src, limits: { maxLimit: 3 }, syncOnStart: false })
    await svc.start()
    try {
      await svc.core.triggerSync().done
      const r = await fetch(`${svc.url}/logs`)
      expect(r.status).toBe(200)
      const body = (await r.json()) as { total: number; limit: number; files: unknown[] }
      expect(body).toMatchObject({ total: 5, limit: 3 })
      expect(body.files).toHaveLength(3)
      const over = await fetch(`${svc.url}/logs?limit=4`)
      expect(over.status).toBe(400)
      expect(((await over.json()) as { error: { param?: string } }).error.param).toBe('limit')
    } finally {
      await svc.stop()
    }
  })

  it('refuses invalid options before creating anything', async () => {
    const dataDir = join(work, 'never')
    const err = await createLogsService({ cwd: work, env: {}, ignoreEnvFiles: true, dataDir, syncInterval: 'sometimes' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).key).toBe('syncInterval')
    expect(existsSync(dataDir)).toBe(false)
  })
})
