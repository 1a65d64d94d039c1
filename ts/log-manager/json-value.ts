/**
 * Any value as JSON text, without throwing: JSON.stringify first (native, fast), and for what
 * it refuses (BigInt, circular references, a throwing toJSON or getter) a careful walk that
 * writes BigInt as digits, a cycle as "[Circular]" and anything unreadable as "[unserializable]".
 * An Error given as the value itself gets pino's err shape; nested ones are written as
 * JSON.stringify writes them (their enumerable properties), as pino does.
 */
import { errorValue } from './error-value.js'

const CIRCULAR = '"[Circular]"'
const UNSERIALIZABLE = '"[unserializable]"'

/** A JSON string literal (lone surrogates are escaped, as JSON.stringify does since ES2019). */
export const quote: (s: string) => string = JSON.stringify

/** `v` as a JSON value, or undefined when JSON leaves it out (undefined, functions, symbols). */
export function jsonValue(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return quote(v)
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null'
    case 'boolean':
      return v ? 'true' : 'false'
    case 'bigint':
      return v.toString()
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined
  }
  if (v === null) return 'null'
  if (v instanceof Error) return safe(errorValue(v), [])
  try {
    return JSON.stringify(v)
  } catch {
    return safe(v, [])
  }
}

function safe(v: unknown, stack: unknown[]): string | undefined {
  try {
    if (typeof v === 'object' && v !== null && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      v = (v as { toJSON(key: string): unknown }).toJSON('')
    }
  } catch {
    return UNSERIALIZABLE
  }
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
    case 'function':
    case 'symbol':
      return jsonValue(v)
  }
  if (v === null) return 'null'
  if (stack.includes(v)) return CIRCULAR
  stack.push(v)
  try {
    if (Array.isArray(v)) {
      let out = '['
      for (let i = 0; i < v.length; i++) {
        if (i > 0) out += ','
        out += safe(v[i], stack) ?? 'null'
      }
      return out + ']'
    }
    let out = ''
    const o = v as Record<string, unknown>
    for (const k of Object.keys(o)) {
      let item: string | undefined
      try {
        item = safe(o[k], stack)
      } catch {
        item = UNSERIALIZABLE
      }
      if (item === undefined) continue
      out += (out === '' ? '' : ',') + quote(k) + ':' + item
    }
    return '{' + out + '}'
  } catch {
    return UNSERIALIZABLE
  } finally {
    stack.pop()
  }
}
