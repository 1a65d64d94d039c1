/** Fields as a JSON members fragment: ',"k":v,"k2":v2' (or ''), in the order pino writes them. */
import { jsonValue, quote } from './json-value.js'

/**
 * Own enumerable keys in insertion order; undefined, functions and symbols are left out, as
 * JSON.stringify and pino do. Errors (at the top level) get pino's err shape.
 */
export function jsonFields(fields: Readonly<Record<string, unknown>>): string {
  let out = ''
  for (const k in fields) {
    if (!Object.prototype.hasOwnProperty.call(fields, k)) continue
    const v = fields[k]
    let s: string | undefined
    switch (typeof v) {
      case 'string':
        s = quote(v)
        break
      case 'number':
        s = Number.isFinite(v) ? '' + v : 'null'
        break
      case 'undefined':
        continue
      default:
        s = jsonValue(v)
        if (s === undefined) continue
    }
    out += ',' + quote(k) + ':' + s
  }
  return out
}
