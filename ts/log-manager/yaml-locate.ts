/** Finds where a config key path (`handlers.app.rotation`, `copy[0].interval`) sits in a YAML document. */
import type { Document, LineCounter } from 'yaml'
import { yaml } from './yaml.js'

function keyText(k: unknown): string | undefined {
  return yaml().isScalar(k) ? String(k.value) : undefined
}

/**
 * Line and column of the deepest node on `key`'s path: the key itself when it is in the file,
 * else its nearest enclosing key (e.g. the handler of a missing `sink`).
 */
export function locateKey(doc: Document, lines: LineCounter, key: string): { line: number; col: number } | undefined {
  const { isMap, isSeq } = yaml()
  let node: unknown = doc.contents
  let rest = key
  let offset: number | undefined
  while (rest !== '') {
    const index = /^\[(\d+)\]\.?/.exec(rest)
    if (index) {
      if (!isSeq(node)) break
      const item: unknown = node.items[Number(index[1])]
      if (item === undefined) break
      const range = (item as { range?: [number, number, number] }).range
      if (range) offset = range[0]
      node = item
      rest = rest.slice(index[0].length)
      continue
    }
    if (!isMap(node)) break
    let best: { k: string; pair: (typeof node.items)[number] } | undefined
    for (const pair of node.items) {
      const k = keyText(pair.key)
      if (k === undefined || (rest !== k && !rest.startsWith(`${k}.`) && !rest.startsWith(`${k}[`))) continue
      if (!best || k.length > best.k.length) best = { k, pair }
    }
    if (!best) break
    const range = (best.pair.key as { range?: [number, number, number] } | null)?.range
    if (range) offset = range[0]
    node = best.pair.value
    rest = rest.slice(best.k.length)
    if (rest.startsWith('.')) rest = rest.slice(1)
  }
  return offset === undefined ? undefined : lines.linePos(offset)
}
