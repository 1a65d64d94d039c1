/**
 * Redaction of field paths, as pino's `redact` option: 'req.headers.authorization',
 * 'users[*].password', 'headers["x-api-key"]'. The caller's objects are never changed: the
 * objects along a redacted path are copied.
 */
import { invalidConfig } from '../config-error.js'

export interface RedactConfig {
  paths: string[]
  /** The value written instead (default "[Redacted]"). */
  censor?: string
  /** Leave the key out instead of censoring it. */
  remove?: boolean
}

type Path = readonly string[]
const WILDCARD = '*'

/** 'a.b["c-d"][*]' -> ['a', 'b', 'c-d', '*']; a config error names `key` for a malformed path. */
export function parsePath(key: string, text: string): Path {
  const out: string[] = []
  const re = /\s*(?:\.?([A-Za-z_$][\w$]*|\*)|\[\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(\d+)|(\*))\s*\])/y
  let i = 0
  while (i < text.length) {
    re.lastIndex = i
    const m = re.exec(text)
    if (!m || (i === 0 && text[0] === '.') || (i > 0 && m[1] !== undefined && text[i] !== '.' && text[i] !== ' ')) {
      throw invalidConfig(key, `${JSON.stringify(text)} is not a redact path like "req.headers.authorization", "users[*].password" or 'headers["x-key"]'`)
    }
    out.push(m[1] ?? (m[2] !== undefined ? JSON.parse(`"${m[2]}"`) : undefined) ?? m[3] ?? m[4] ?? WILDCARD)
    i = re.lastIndex
  }
  if (out.length === 0) throw invalidConfig(key, 'an empty redact path redacts nothing')
  return out
}

export type Redactor = (fields: Readonly<Record<string, unknown>>) => Readonly<Record<string, unknown>>

function redactAt(v: unknown, path: Path, at: number, censor: string, remove: boolean): unknown {
  if (typeof v !== 'object' || v === null) return v
  const seg = path[at] as string
  const last = at === path.length - 1
  const keys = seg === WILDCARD ? Object.keys(v) : Object.prototype.hasOwnProperty.call(v, seg) ? [seg] : []
  if (keys.length === 0) return v
  const copy: Record<string, unknown> = Array.isArray(v) ? ([...v] as unknown as Record<string, unknown>) : { ...(v as Record<string, unknown>) }
  for (const k of keys) {
    if (last) {
      if (copy[k] === undefined) continue
      if (remove) delete copy[k]
      else copy[k] = censor
    } else copy[k] = redactAt(copy[k], path, at + 1, censor, remove)
  }
  return copy
}

/** A function applying every path, or undefined when there is nothing to redact. */
export function compileRedact(key: string, config: string[] | RedactConfig | undefined): Redactor | undefined {
  if (config === undefined) return undefined
  const c: RedactConfig = Array.isArray(config) ? { paths: config } : config
  if (typeof c !== 'object' || c === null || !Array.isArray(c.paths)) throw invalidConfig(key, 'must be a list of paths or { paths, censor, remove }')
  const paths = c.paths.map((p, i) => {
    if (typeof p !== 'string') throw invalidConfig(`${key}[${i}]`, `must be a path string, got ${JSON.stringify(p)}`)
    return parsePath(`${key}[${i}]`, p)
  })
  if (paths.length === 0) return undefined
  if (c.censor !== undefined && typeof c.censor !== 'string') throw invalidConfig(`${key}.censor`, 'must be a string')
  const censor = c.censor ?? '[Redacted]'
  const remove = c.remove === true
  const firsts = new Set(paths.map((p) => p[0]))
  const anyFirst = firsts.has(WILDCARD)
  return (fields) => {
    let out: unknown = fields
    let touched = anyFirst
    if (!touched) for (const f of firsts) if (Object.prototype.hasOwnProperty.call(fields, f as string)) touched = true
    if (!touched) return fields
    for (const p of paths) out = redactAt(out, p, 0, censor, remove)
    return out as Readonly<Record<string, unknown>>
  }
}
