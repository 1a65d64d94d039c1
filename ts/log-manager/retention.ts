/** Retention: deletes a handler's old rotated files, by age or beyond a count. */
import { readdir, unlink } from 'node:fs/promises'
import { basename, dirname, extname, join } from 'node:path'
import type { Retention } from './validate-config.js'

export interface SealedFile {
  path: string
  /** Seal time from the name's UTC stamp, ms since the epoch. */
  sealedAt: number
  /** The `_n` suffix of files sealed within the same second (0 without one). */
  seq: number
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The rotated files of `sink` (`{stem}_{YYYY-MM-DD_HH-MM-SS}[_{n}].{ext}` beside it), oldest first. */
export async function sealedFilesOf(sink: string): Promise<SealedFile[]> {
  const ext = extname(sink)
  const stem = basename(sink, ext)
  const re = new RegExp(`^${esc(stem)}_(\\d{4})-(\\d{2})-(\\d{2})_(\\d{2})-(\\d{2})-(\\d{2})(?:_(\\d+))?${esc(ext)}$`)
  let names: string[]
  try {
    names = await readdir(dirname(sink))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const out: SealedFile[] = []
  for (const name of names) {
    const m = re.exec(name)
    if (!m) continue
    const [, y, mo, d, h, mi, s, n] = m
    out.push({
      path: join(dirname(sink), name),
      sealedAt: Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)),
      seq: n === undefined ? 0 : Number(n),
    })
  }
  return out.sort((a, b) => a.sealedAt - b.sealedAt || a.seq - b.seq)
}

/** Which sealed files the rule removes (never the active file: it does not match the pattern). */
export function expired(files: readonly SealedFile[], rule: Retention, now: number): SealedFile[] {
  if (rule.kind === 'count') return files.slice(0, Math.max(0, files.length - rule.count))
  return files.filter((f) => f.sealedAt < now - rule.maxAgeMs)
}

/** Applies `rule` to the rotated files of `sink`; resolves with the paths it deleted. */
export async function applyRetention(sink: string, rule: Retention, now: number = Date.now()): Promise<string[]> {
  const deleted: string[] = []
  for (const f of expired(await sealedFilesOf(sink), rule, now)) {
    try {
      await unlink(f.path)
      deleted.push(f.path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
  return deleted
}
