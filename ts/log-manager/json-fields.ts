/** Fields as a JSON members fragment: ',"k":v,"k2":v2' (or ''), in the order pino writes them. */
import { jsonValue, quote } from './json-value.js'

/** ',"key":' per key; programs use few distinct keys, so they are kept (up to a bound). */
const keys = new Map<string, string>()
function member(k: string): string {
  let t = keys.get(k)
  if (t === undefined) {
    t = ',' + quote(k) + ':'
    if (keys.size < 4096) keys.set(k, t)
  }
  return t
}

/** Characters a JSON string must escape (lone surrogates included): strings without any are written as they are. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/

const hasOwn = Object.prototype.hasOwnProperty

/**
 * Own enumerable keys in insertion order; undefined, functions and symbols are left out, as
 * JSON.stringify and pino do. Strings, numbers and booleans are written here (the common case,
 * cheaper than one JSON.stringify of the whole object); other values by jsonValue (Errors at
 * the top level get pino's err shape).
 */
export function jsonFields(fields: Readonly<Record<string, unknown>>): string {
  // A toJSON on the fields object itself decides what it is.
  if (typeof (fields as { toJSON?: unknown }).toJSON === 'function') {
    const whole = jsonValue(fields)
    return whole !== undefined && whole.charCodeAt(0) === 123 && whole.length > 2 ? ',' + whole.slice(1, -1) : ''
  }
  let out = ''
  for (const k in fields) {
    if (!hasOwn.call(fields, k)) continue
    const v = fields[k]
    switch (typeof v) {
      case 'string':
        out += member(k) + (NEEDS_ESCAPE.test(v) ? quote(v) : '"' + v + '"')
        break
      case 'number':
        out += member(k) + (Number.isFinite(v) ? '' + v : 'null')
        break
      case 'boolean':
        out += member(k) + (v ? 'true' : 'false')
        break
      case 'undefined':
      case 'function':
      case 'symbol':
        break
      default: {
        let s: string | undefined
        try {
          s = jsonValue(v)
        } catch {
          s = '"[unserializable]"'
        }
        if (s !== undefined) out += member(k) + s
      }
    }
  }
  return out
}
