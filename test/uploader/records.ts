/** Numbered text records and a check that a set of files holds each exactly once. */
import { createHash } from 'node:crypto'

export function record(id: number): string {
  return `id=${id} h=${createHash('sha1').update(String(id)).digest('hex')} ${'p'.repeat(id % 41)}`
}

/** Ids of the records in text files' contents; throws on a damaged record. */
export function recordIds(contents: Buffer[]): number[] {
  const ids: number[] = []
  for (const c of contents) {
    for (const line of c.toString('utf8').split('\n')) {
      if (line === '') continue
      const m = /^id=(\d+) /.exec(line)
      if (!m || line !== record(Number(m[1]))) throw new Error(`damaged record: ${line.slice(0, 80)}`)
      ids.push(Number(m[1]))
    }
  }
  return ids.sort((a, b) => a - b)
}

export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)
