/** Rendering of child bindings and per-call fields as ` key=value` pairs. */

function value(v: unknown): string {
  if (typeof v === 'string') return v !== '' && /^[^\s="\\]*$/.test(v) ? v : JSON.stringify(v)
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Error) return JSON.stringify(v.message)
  try {
    return JSON.stringify(v) ?? 'null'
  } catch {
    return '"[unserializable]"'
  }
}

/** ' k=v k2="two words"' in insertion order, or '' when there is nothing; undefined values are left out. */
export function renderFields(fields: Readonly<Record<string, unknown>> | undefined): string {
  if (!fields) return ''
  let out = ''
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue
    out += ` ${k}=${value(v)}`
  }
  return out
}

/** Newlines inside a message would split the record: they are written as \n and \r. */
export function oneLine(s: string): string {
  return /[\r\n]/.test(s) ? s.replace(/\r/g, '\\r').replace(/\n/g, '\\n') : s
}
