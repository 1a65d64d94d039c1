/** Rendering of child bindings and per-call fields as ` key=value` pairs. */
import { errorValue } from './error-value.js'
import { jsonValue } from './json-value.js'

const BARE = /^[^\s="\\]+$/

function value(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return BARE.test(v) ? v : JSON.stringify(v)
    case 'number':
      return '' + v
    case 'bigint':
      return v.toString()
    case 'boolean':
      return v ? 'true' : 'false'
    case 'undefined':
      return undefined
  }
  if (v instanceof Error) return JSON.stringify(errorValue(v).message)
  return jsonValue(v) ?? 'null'
}

/** ' k=' for a key; most programs use few distinct keys, so they are kept (up to a bound). */
const keys = new Map<string, string>()
function keyText(k: string): string {
  let t = keys.get(k)
  if (t === undefined) {
    t = ' ' + (BARE.test(k) ? k : JSON.stringify(k)) + '='
    if (keys.size < 4096) keys.set(k, t)
  }
  return t
}

/** ' k=v k2="two words"' in insertion order, or '' when there is nothing; undefined values are left out. */
export function renderFields(fields: Readonly<Record<string, unknown>> | undefined): string {
  if (!fields) return ''
  let out = ''
  for (const k in fields) {
    if (!Object.prototype.hasOwnProperty.call(fields, k)) continue
    const s = value(fields[k])
    if (s !== undefined) out += keyText(k) + s
  }
  return out
}

/** Newlines inside a message would split the record: they are written as \n and \r. */
export function oneLine(s: string): string {
  return s.indexOf('\n') < 0 && s.indexOf('\r') < 0 ? s : s.replace(/\r/g, '\\r').replace(/\n/g, '\\n')
}
