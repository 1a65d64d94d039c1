/** Fields as a JSON members fragment: ',"k":v,"k2":v2' (or ''), in the order pino writes them. */
import { jsonValue, quote } from './json-value.js'

/** Member by member: for fields JSON.stringify would get wrong (Errors) or refuse (BigInt, cycles). */
function carefully(fields: Readonly<Record<string, unknown>>): string {
  let out = ''
  for (const k in fields) {
    if (!Object.prototype.hasOwnProperty.call(fields, k)) continue
    const s = jsonValue(fields[k])
    if (s !== undefined) out += ',' + quote(k) + ':' + s
  }
  return out
}

/**
 * Own enumerable keys in insertion order; undefined, functions and symbols are left out, as
 * JSON.stringify and pino do; Errors (at the top level) get pino's err shape. The common case is
 * one native JSON.stringify of the whole object.
 */
export function jsonFields(fields: Readonly<Record<string, unknown>>): string {
  for (const k in fields) {
    const v = fields[k]
    if (typeof v === 'bigint' || (typeof v === 'object' && v !== null && v instanceof Error)) return carefully(fields)
  }
  let s: string | undefined
  try {
    s = JSON.stringify(fields)
  } catch {
    return carefully(fields)
  }
  // A toJSON on the fields object itself may turn it into something other than an object.
  if (s === undefined || s.charCodeAt(0) !== 123) return carefully(fields)
  return s.length > 2 ? ',' + s.slice(1, -1) : ''
}
