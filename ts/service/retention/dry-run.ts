/**
 * `logferry serve --retention-dry-run`: what retention would do now, from the mirror on disk and
 * the rules alone. It opens no state store and writes nothing, so it also runs beside a service
 * that owns the data directory.
 */
import { stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { walk } from '../categorize/catalog.js'
import { createCategorizer } from '../categorize/rules.js'
import type { ServiceSettings } from '../types.js'
import { planRetention, type RetentionAction, type RetentionFile } from './policy.js'

export async function retentionDryRun(settings: ServiceSettings, now = Date.now()): Promise<RetentionAction[]> {
  const categorizer = createCategorizer(settings.rules)
  const files: RetentionFile[] = []
  for (const s of settings.sources) {
    const root = join(settings.dataDir, 'logs', s.name)
    for await (const rel of walk(root)) {
      const st = await stat(join(root, ...rel.split('/'))).catch(() => undefined)
      if (st?.isFile()) files.push({ source: s.name, sourcePath: rel, service: categorizer.categorize(basename(rel)), size: st.size, mtimeMs: st.mtimeMs })
    }
  }
  return planRetention(files, settings.retention, now)
}
