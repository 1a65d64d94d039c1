/**
 * Runs the retention plan after a sync (inside it: a sync never overlaps itself, so neither
 * does retention): each file is looked at again just before it is touched (a file modified
 * since the plan, or within the settle time, is left alone), compressed or deleted, recorded as
 * retired in the state (so the next sync does not fetch it again) and re-catalogued.
 * `dryRun` plans and reports only.
 */
import { stat, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Catalog } from '../categorize/catalog.js'
import type { ServiceState } from '../service-state.js'
import type { ServiceLog } from '../types.js'
import { compressFile, extensionOf } from './compress-file.js'
import { planRetention, type RetentionAction, type RetentionFile, type RetentionSettings } from './policy.js'

export interface RetentionOutcome extends RetentionAction {
  outcome: 'done' | 'skipped' | 'failed' | 'dry-run'
  /** For compress: the new file (relative to the source). */
  target?: string
  error?: { code: string; message: string }
}

export interface RunRetentionOptions {
  catalog: Catalog
  state?: ServiceState
  logsDir: string
  settings: RetentionSettings
  sources: readonly string[]
  log: ServiceLog
  now?: number
  dryRun?: boolean
}

export function hasRetention(settings: RetentionSettings): boolean {
  return Object.keys(settings.policies).length > 0
}

export async function runRetention(o: RunRetentionOptions): Promise<RetentionOutcome[]> {
  if (!hasRetention(o.settings)) return []
  const files: RetentionFile[] = o.sources.flatMap((s) => o.catalog.entriesOf(s))
  const plan = planRetention(files, o.settings, o.now)
  if (o.dryRun) return plan.map((a) => ({ ...a, outcome: 'dry-run' }))
  const out: RetentionOutcome[] = []
  for (const a of plan) {
    const abs = join(o.logsDir, a.source, ...a.sourcePath.split('/'))
    try {
      const st = await stat(abs)
      if (st.mtimeMs !== a.mtimeMs || st.mtimeMs > Date.now() - o.settings.settleSeconds * 1000) {
        out.push({ ...a, outcome: 'skipped', error: { code: 'ERR_RETENTION_CHANGED', message: 'modified since the plan' } })
        continue
      }
      if (a.action === 'compress') {
        const codec = a.compression ?? 'gzip'
        const final = await compressFile(abs, codec)
        const target = `${a.sourcePath}${extensionOf(codec)}`
        o.catalog.carryScan(a.source, a.sourcePath, target, (await stat(final)).ino)
        o.state?.retire(a.source, a.sourcePath, { size: st.size, mtimeMs: st.mtimeMs })
        await o.catalog.updateMany(a.source, [a.sourcePath, target])
        out.push({ ...a, outcome: 'done', target })
      } else {
        await rm(abs)
        o.state?.retire(a.source, a.sourcePath, { size: st.size, mtimeMs: st.mtimeMs })
        await o.catalog.update(a.source, a.sourcePath)
        out.push({ ...a, outcome: 'done' })
      }
    } catch (err) {
      const e = err as { code?: unknown; message?: unknown }
      out.push({ ...a, outcome: 'failed', error: { code: typeof e.code === 'string' ? e.code : 'ERR_RETENTION', message: String(e.message ?? err) } })
      o.log.warn('retention: action failed', { action: a.action, source: a.source, path: a.sourcePath, error: String(e.message ?? err) })
    }
  }
  o.catalog.flush()
  const done = out.filter((x) => x.outcome === 'done')
  if (done.length > 0) o.log.info('retention', { compressed: done.filter((x) => x.action === 'compress').length, deleted: done.filter((x) => x.action === 'delete').length })
  return out
}
