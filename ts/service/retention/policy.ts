/**
 * What retention does to one category's files, decided from their sizes and mtimes alone (the
 * plan is the dry run): compress files older than `compressAfterDays`, delete files older than
 * `deleteAfterDays`, then delete the oldest while the category holds more than `maxBytes`.
 * A file modified within `settleSeconds` is never touched: it may still be written.
 */
export interface RetentionPolicy {
  compressAfterDays?: number
  /** Default 'gzip'. */
  compression: 'gzip' | 'zstd'
  deleteAfterDays?: number
  /** Budget of the category's files (bytes as they are on disk). */
  maxBytes?: number
}

export interface RetentionSettings {
  /** Seconds since its last modification before a file may be compressed or deleted (default 3600). */
  settleSeconds: number
  /** Per category; `*` applies to every category without its own. Empty: retention off. */
  policies: Record<string, RetentionPolicy>
}

export const DEFAULT_RETENTION: RetentionSettings = { settleSeconds: 3600, policies: {} }

export interface RetentionFile {
  source: string
  sourcePath: string
  service: string
  size: number
  mtimeMs: number
}

export interface RetentionAction {
  action: 'compress' | 'delete'
  source: string
  sourcePath: string
  service: string
  size: number
  mtime: string
  mtimeMs: number
  reason: string
  /** For compress: the codec. */
  compression?: 'gzip' | 'zstd'
}

const DAY = 86_400_000
const COMPRESSED = /\.(gz|zst|zstd)$/i

export function policyFor(settings: RetentionSettings, service: string): RetentionPolicy | undefined {
  return settings.policies[service] ?? settings.policies['*']
}

/** The actions for `files` at `now`, oldest first per category. */
export function planRetention(files: readonly RetentionFile[], settings: RetentionSettings, now = Date.now()): RetentionAction[] {
  const out: RetentionAction[] = []
  const settled = now - settings.settleSeconds * 1000
  const byService = new Map<string, RetentionFile[]>()
  for (const f of files) {
    const list = byService.get(f.service) ?? []
    list.push(f)
    byService.set(f.service, list)
  }
  for (const [service, list] of byService) {
    const p = policyFor(settings, service)
    if (!p) continue
    list.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.sourcePath < b.sourcePath ? -1 : 1))
    let total = list.reduce((n, f) => n + f.size, 0)
    const deleted = new Set<RetentionFile>()
    const act = (f: RetentionFile, action: RetentionAction['action'], reason: string): void => {
      out.push({ action, source: f.source, sourcePath: f.sourcePath, service, size: f.size, mtime: new Date(f.mtimeMs).toISOString(), mtimeMs: f.mtimeMs, reason, ...(action === 'compress' ? { compression: p.compression } : {}) })
    }
    for (const f of list) {
      if (f.mtimeMs > settled) continue
      if (p.deleteAfterDays !== undefined && f.mtimeMs <= now - p.deleteAfterDays * DAY) {
        act(f, 'delete', `older than ${p.deleteAfterDays} days`)
        deleted.add(f)
        total -= f.size
      }
    }
    if (p.maxBytes !== undefined) {
      for (const f of list) {
        if (total <= p.maxBytes) break
        if (deleted.has(f) || f.mtimeMs > settled) continue
        act(f, 'delete', `category over its budget of ${p.maxBytes} bytes`)
        deleted.add(f)
        total -= f.size
      }
    }
    if (p.compressAfterDays !== undefined) {
      for (const f of list) {
        if (deleted.has(f) || f.mtimeMs > settled || COMPRESSED.test(f.sourcePath)) continue
        if (f.mtimeMs <= now - p.compressAfterDays * DAY) act(f, 'compress', `older than ${p.compressAfterDays} days`)
      }
    }
  }
  return out
}
