/** Retention: deletes a handler's old rotated files, by age or beyond a count. */
import { readdir, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { isSealedSiblingOf, parseSealedName } from '../uploader/sealed-name.js'
import type { Retention } from './validate-config.js'

export interface SealedFile {
  path: string
  /** Seal time from the name's UTC stamp, ms since the epoch. */
  sealedAt: number
  /** The `_n` suffix of files sealed within the same second (0 without one). */
  seq: number
}

/** The rotated files of `sink` (the engine's sealed names of it, beside it), oldest first. */
export async function sealedFilesOf(sink: string): Promise<SealedFile[]> {
  let names: string[]
  try {
    names = await readdir(dirname(sink))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const out: SealedFile[] = []
  for (const name of names) {
    if (!isSealedSiblingOf(name, sink)) continue
    const parsed = parseSealedName(name)
    if (parsed) out.push({ path: join(dirname(sink), name), sealedAt: parsed.sealedAt, seq: parsed.seq })
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
