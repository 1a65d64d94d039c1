// Shared helpers of the logger tests: temp dirs, records with ids and checksums, and a
// verifier that reads every file of a directory back through the public reader.
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readLogFileSync } from '../../dist/index.js'

export function tempDir(prefix = 'logferry-js-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

function sha1(s: string): Buffer {
  return createHash('sha1').update(s).digest()
}

/** Text record: `id=<id> h=<sha1(id) hex> <padding>`; the padding length depends on the id. */
export function textRecord(id: number, pad = id % 37): string {
  return `id=${id} h=${sha1(String(id)).toString('hex')} ${'p'.repeat(pad)}`
}

/**
 * Binary record (framed format): 0x00 0x0a, id as u32 LE, sha1(id) (20 bytes), then
 * `id % 23` filler bytes of \n and \0, then 0x0a 0x00.
 */
export function binaryRecord(id: number): Buffer {
  const fill = Buffer.alloc(id % 23)
  for (let i = 0; i < fill.length; i++) fill[i] = i % 2 === 0 ? 0x0a : 0x00
  const head = Buffer.alloc(6)
  head[0] = 0x00
  head[1] = 0x0a
  head.writeUInt32LE(id, 2)
  return Buffer.concat([head, sha1(String(id)), fill, Buffer.from([0x0a, 0x00])])
}

/** The id of a record made by textRecord or binaryRecord; throws if the record is damaged. */
export function recordId(rec: Buffer): number {
  if (rec[0] === 0x00) {
    if (rec.length < 28 || rec[1] !== 0x0a) throw new Error(`damaged binary record ${rec.toString('hex')}`)
    const id = rec.readUInt32LE(2)
    if (!rec.equals(binaryRecord(id))) throw new Error(`binary record ${id} does not match its checksum`)
    return id
  }
  const s = rec.toString('utf8')
  const m = /^id=(\d+) h=([0-9a-f]{40}) (p*)$/.exec(s)
  if (!m) throw new Error(`damaged text record ${JSON.stringify(s.slice(0, 200))}`)
  const id = Number(m[1])
  if (s !== textRecord(id, m[3]!.length) || m[2] !== sha1(String(id)).toString('hex')) {
    throw new Error(`text record ${id} does not match its checksum`)
  }
  return id
}

export interface DirContents {
  files: string[]
  /** Every record of every file, in file order. */
  records: Buffer[]
  bytes: number
}

/** Reads every file in `dir` (sorted by name) with readLogFileSync. */
export function readDir(dir: string): DirContents {
  const files = readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile()).sort()
  const records: Buffer[] = []
  let bytes = 0
  for (const f of files) {
    const p = join(dir, f)
    const r = readLogFileSync(p)
    if (r.tornTail !== undefined) throw new Error(`${f}: torn tail at ${r.tornTail}`)
    for (const rec of r.records) records.push(rec)
    bytes += statSync(p).size
  }
  return { files: files.map((f) => join(dir, f)), records, bytes }
}

/** Counts of each id found in `records`; throws on a damaged record. */
export function idCounts(records: Buffer[]): Map<number, number> {
  const m = new Map<number, number>()
  for (const r of records) {
    const id = recordId(r)
    m.set(id, (m.get(id) ?? 0) + 1)
  }
  return m
}

/** Asserts that `records` hold each of `ids` exactly once and nothing else. */
export function expectExactlyOnce(records: Buffer[], ids: Iterable<number>): void {
  const counts = idCounts(records)
  const missing: number[] = []
  let expected = 0
  for (const id of ids) {
    expected++
    const c = counts.get(id)
    if (c === undefined) missing.push(id)
    else if (c !== 1) throw new Error(`id ${id} present ${c} times`)
    counts.delete(id)
  }
  if (missing.length > 0) {
    throw new Error(`${missing.length} of ${expected} ids missing, e.g. ${missing.slice(0, 10).join(', ')}`)
  }
  if (counts.size > 0) throw new Error(`${counts.size} unexpected ids, e.g. ${[...counts.keys()].slice(0, 10).join(', ')}`)
  if (records.length !== expected) throw new Error(`${records.length} records, expected ${expected}`)
}

export function range(from: number, to: number): number[] {
  const a: number[] = []
  for (let i = from; i < to; i++) a.push(i)
  return a
}

/** The sealed-file name pattern for `stem` and `ext`: `{stem}_{YYYY-MM-DD_HH-MM-SS}[_{n}]{ext}`. */
export function sealedPattern(stem: string, ext = '.log'): RegExp {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`^${esc(stem)}_\\d{4}-\\d{2}-\\d{2}_\\d{2}-\\d{2}-\\d{2}(_\\d+)?${esc(ext)}$`)
}
