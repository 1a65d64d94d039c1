/** Checks a LogManager config key by key and resolves it; errors name the key path. */
import { resolve } from 'node:path'
import { invalidConfig } from '../config-error.js'
import type { CopyJobOptions } from '../copy/types.js'
import { parseCopySection } from './copy-section.js'
import { parseDuration } from './duration.js'
import { compileTemplate, type Template } from './format-template.js'
import { LEVELS, parseLevel } from './levels.js'
import { parseSize } from './size.js'

export const DEFAULT_FORMAT = '{time} | {level} | {name} | {message}{extra}'

export type Retention = { kind: 'count'; count: number } | { kind: 'age'; maxAgeMs: number }

export interface ResolvedHandler {
  name: string
  sink: string
  template: Template
  level: number
  rotation: number | undefined
  retention: Retention | undefined
  bufferSize: number
  flushInterval: number
}

export interface ResolvedTarget {
  handler: string
  /** The stricter of the logger's, the binding's and the handler's levels. */
  threshold: number
}

export interface ResolvedLogger {
  name: string
  targets: ResolvedTarget[]
}

export interface ResolvedConfig {
  handlers: Map<string, ResolvedHandler>
  loggers: Map<string, ResolvedLogger>
  copy: CopyJobOptions[]
  autoStartCopy: boolean
}

type Obj = Record<string, unknown>

function mapping(key: string, v: unknown): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidConfig(key, `must be a mapping, got ${Array.isArray(v) ? 'a list' : JSON.stringify(v)}`)
  return v as Obj
}

function onlyKeys(key: string, o: Obj, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw invalidConfig(key ? `${key}.${k}` : k, `is not a known key (expected one of: ${allowed.join(', ')})`)
  }
}

function retention(key: string, v: unknown): Retention | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 1) throw invalidConfig(key, `${v} is not a file count (an integer >= 1) or a duration like "1 week"`)
    return { kind: 'count', count: v }
  }
  const files = typeof v === 'string' ? /^\s*(\d+)\s*files?\s*$/i.exec(v) : null
  if (files) return retention(key, Number(files[1]))
  return { kind: 'age', maxAgeMs: parseDuration(key, v) }
}

function handler(name: string, v: unknown, formats: Map<string, Template>): ResolvedHandler {
  const key = `handlers.${name}`
  const o = mapping(key, v)
  onlyKeys(key, o, ['sink', 'format', 'level', 'rotation', 'retention', 'bufferSize', 'flushInterval'])
  if (typeof o.sink !== 'string' || o.sink.trim() === '') throw invalidConfig(`${key}.sink`, `must be the path of the log file, got ${JSON.stringify(o.sink)}`)
  let template: Template
  if (o.format === undefined) template = compileTemplate(`${key}.format`, DEFAULT_FORMAT)
  else if (typeof o.format === 'string' && formats.has(o.format)) template = formats.get(o.format) as Template
  else if (typeof o.format === 'string' && o.format.includes('{')) template = compileTemplate(`${key}.format`, o.format)
  else {
    const known = [...formats.keys()]
    throw invalidConfig(`${key}.format`, `${JSON.stringify(o.format)} is neither a name in formats (${known.length ? known.join(', ') : 'none defined'}) nor a template with {placeholders}`)
  }
  const rotation = o.rotation === undefined ? undefined : parseSize(`${key}.rotation`, o.rotation)
  if (rotation !== undefined && rotation < 4096) throw invalidConfig(`${key}.rotation`, `${JSON.stringify(o.rotation)} is below the smallest rotation size, 4096 bytes`)
  const bufferSize = o.bufferSize === undefined ? 4 * 2 ** 20 : parseSize(`${key}.bufferSize`, o.bufferSize)
  if (bufferSize < 4096) throw invalidConfig(`${key}.bufferSize`, `${JSON.stringify(o.bufferSize)} is below 4096 bytes`)
  const flushInterval = o.flushInterval === undefined ? 1000 : parseDuration(`${key}.flushInterval`, o.flushInterval)
  if (flushInterval < 1) throw invalidConfig(`${key}.flushInterval`, 'must be at least 1 ms')
  return {
    name,
    sink: resolve(o.sink),
    template,
    level: o.level === undefined ? LEVELS.trace : parseLevel(`${key}.level`, o.level),
    rotation,
    retention: retention(`${key}.retention`, o.retention),
    bufferSize,
    flushInterval,
  }
}

function binding(key: string, v: unknown, handlers: Map<string, ResolvedHandler>, floor: number, dflt: number): ResolvedTarget {
  let name: unknown = v
  let level = Math.max(floor, dflt)
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = v as Obj
    onlyKeys(key, o, ['handler', 'level'])
    name = o.handler
    if (o.level !== undefined) level = Math.max(floor, parseLevel(`${key}.level`, o.level))
    key = `${key}.handler`
  }
  if (typeof name !== 'string') throw invalidConfig(key, `must name a handler, got ${JSON.stringify(name)}`)
  const h = handlers.get(name)
  if (!h) throw invalidConfig(key, `'${name}' is not a handler (defined: ${[...handlers.keys()].join(', ') || 'none'})`)
  return { handler: name, threshold: Math.max(level, h.level) }
}

function logger(name: string, v: unknown, handlers: Map<string, ResolvedHandler>): ResolvedLogger {
  const key = `loggers.${name}`
  let list: unknown[]
  let floor: number = LEVELS.trace
  if (Array.isArray(v)) {
    // Python style: a list of { handler, level }; each binding's level (default info) applies.
    list = v
  } else {
    floor = LEVELS.info
    const o = mapping(key, v)
    onlyKeys(key, o, ['handlers', 'level'])
    if (o.level !== undefined) floor = parseLevel(`${key}.level`, o.level)
    if (!Array.isArray(o.handlers)) throw invalidConfig(`${key}.handlers`, 'must be a list of handler names or { handler, level } entries')
    list = o.handlers
  }
  if (list.length === 0) throw invalidConfig(Array.isArray(v) ? key : `${key}.handlers`, 'must list at least one handler')
  const base = Array.isArray(v) ? key : `${key}.handlers`
  const targets = list.map((b, i) => binding(`${base}[${i}]`, b, handlers, floor, Array.isArray(v) ? LEVELS.info : floor))
  targets.forEach((t, i) => {
    if (targets.findIndex((o) => o.handler === t.handler) !== i) throw invalidConfig(`${base}[${i}]`, `lists handler '${t.handler}' a second time`)
  })
  return { name, targets }
}

/** Validates a parsed config (from YAML or an object). */
export function validateConfig(raw: unknown): ResolvedConfig {
  const top = mapping('config', raw ?? {})
  onlyKeys('', top, ['formats', 'handlers', 'loggers', 'copy', 'autoStartCopy'])
  const formats = new Map<string, Template>()
  if (top.formats !== undefined && top.formats !== null) {
    for (const [name, text] of Object.entries(mapping('formats', top.formats))) formats.set(name, compileTemplate(`formats.${name}`, text))
  }
  const handlers = new Map<string, ResolvedHandler>()
  const sinks = new Map<string, string>()
  if (top.handlers !== undefined && top.handlers !== null) {
    for (const [name, v] of Object.entries(mapping('handlers', top.handlers))) {
      const h = handler(name, v, formats)
      const other = sinks.get(h.sink)
      if (other !== undefined) throw invalidConfig(`handlers.${name}.sink`, `${JSON.stringify(h.sink)} is already the sink of handlers.${other}`)
      sinks.set(h.sink, name)
      handlers.set(name, h)
    }
  }
  const loggers = new Map<string, ResolvedLogger>()
  if (top.loggers !== undefined && top.loggers !== null) {
    for (const [name, v] of Object.entries(mapping('loggers', top.loggers))) loggers.set(name, logger(name, v, handlers))
  }
  if (top.autoStartCopy !== undefined && typeof top.autoStartCopy !== 'boolean') {
    throw invalidConfig('autoStartCopy', `must be true or false, got ${JSON.stringify(top.autoStartCopy)}`)
  }
  return { handlers, loggers, copy: parseCopySection(top.copy), autoStartCopy: top.autoStartCopy !== false }
}
