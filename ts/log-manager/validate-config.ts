/** Checks a LogManager config key by key and resolves it; errors name the key path. */
import { resolve } from 'node:path'
import { invalidConfig } from '../config-error.js'
import type { CopyJobOptions } from '../copy/types.js'
import { boolean, custom, duration, func, list, object, oneOf, optional, record, required, show, size, withDefault, type Field, type Parsed } from '../options/schema.js'
import { configErrorReporter, validateOptions } from '../options/validate-options.js'
import type { HandlerBinding, HandlerConfig, LoggerConfig, LogManagerConfig } from './config-types.js'
import type { LogManagerOptions } from './log-manager.js'
import { parseCopySection } from './copy-section.js'
import { compileTemplate, type Template } from './format-template.js'
import type { JsonFormatOptions } from './json-format.js'
import { LEVELS, parseLevel } from './levels.js'
import { compileRedact, type Redactor } from './redact.js'

export const DEFAULT_FORMAT = '{time} | {level} | {name} | {message}{extra}'

export type Retention = { kind: 'count'; count: number } | { kind: 'age'; maxAgeMs: number }

export interface ResolvedHandler {
  name: string
  sink: string
  /** A template, or `format: 'json'` with its options. */
  format: { kind: 'template'; template: Template } | { kind: 'json'; options: JsonFormatOptions }
  level: number
  rotation: number | undefined
  retention: Retention | undefined
  bufferSize: number
  flushInterval: number
}

export interface ResolvedTarget {
  handler: string
  /** The stricter of the binding's and the handler's levels (the logger's own level applies on top). */
  floor: number
}

export interface ResolvedLogger {
  name: string
  /** The logger's own level. */
  level: number
  targets: ResolvedTarget[]
  redact: Redactor | undefined
}

export interface ResolvedConfig {
  handlers: Map<string, ResolvedHandler>
  loggers: Map<string, ResolvedLogger>
  copy: CopyJobOptions[]
  autoStartCopy: boolean
}

const report = configErrorReporter((i) => `is not a known key (expected one of: ${i.known.join(', ')})`)

/** A threshold name; parseLevel words the error (and names the key) itself. */
const level = custom<number>('a level', () => true, (v, ctx) => parseLevel(ctx.path, v))

/** A file count (a number, or "5 files") or a maximum age (a duration). */
const retention = custom<Retention>('a file count or a duration', () => true, (v, ctx) => {
  const files = typeof v === 'string' ? /^\s*(\d+)\s*files?\s*$/i.exec(v) : null
  const count = files ? Number(files[1]) : v
  if (typeof count === 'number') {
    if (!Number.isInteger(count) || count < 1) ctx.fail('range', `${count} is not a file count (an integer >= 1) or a duration like "1 week"`)
    return { kind: 'count', count }
  }
  return { kind: 'age', maxAgeMs: duration().parse(v, ctx) }
})

const HANDLER = object(
  {
    sink: required(custom<string>('the path of the log file', (v) => typeof v === 'string' && v.trim() !== ''), 'must be the path of the log file, got undefined'),
    /** Resolved against `formats` once those are known. */
    format: optional(custom<unknown>('a format name or template', () => true)),
    level: withDefault(level, LEVELS.trace),
    rotation: optional(size({ min: 4096, belowMin: 'is below the smallest rotation size, 4096 bytes' })),
    retention: optional(retention),
    bufferSize: withDefault(size({ min: 4096 }), 4 * 2 ** 20),
    flushInterval: withDefault(duration({ min: 1 }), 1000),
    json: optional(
      object(
        {
          levels: optional(oneOf(['number', 'label'] as const)),
          time: optional(custom<'epoch' | 'iso' | false>('"epoch", "iso" or false', (v) => v === 'epoch' || v === 'iso' || v === false)),
          messageKey: optional(custom<string>('a key name', (v) => typeof v === 'string' && v !== '')),
          timeKey: optional(custom<string>('a key name', (v) => typeof v === 'string' && v !== '')),
          nameKey: optional(custom<string>('a key name', (v) => typeof v === 'string' && v !== '')),
          base: optional(custom<Record<string, unknown> | null>('a mapping of fields, or null', (v) => v === null || (typeof v === 'object' && !Array.isArray(v)))),
        } satisfies Record<keyof JsonFormatOptions, Field<unknown>>,
        { noun: 'a mapping' },
      ),
    ),
  } satisfies Record<keyof HandlerConfig, Field<unknown>>,
  { noun: 'a mapping', nullIsAbsent: true },
)

const anything = custom<unknown>('anything', () => true)

const BINDING = object({ handler: required(custom<unknown>('a handler name', () => true)), level: optional(level) } satisfies Record<keyof HandlerBinding, Field<unknown>>, {
  noun: 'a mapping',
})

const LOGGER = object(
  {
    handlers: required(list(custom<unknown>('a handler name or { handler, level }', () => true)), 'must be a list of handler names or { handler, level } entries'),
    level: optional(level),
    redact: optional(anything),
  } satisfies Record<keyof LoggerConfig, Field<unknown>>,
  { noun: 'a mapping' },
)

const TOP = object(
  {
    formats: optional(record(custom<Template>('a template', () => true, (v, ctx) => compileTemplate(ctx.path, v)), { noun: 'a mapping' })),
    handlers: optional(record(HANDLER, { noun: 'a mapping' })),
    loggers: optional(record(anything, { noun: 'a mapping' })),
    copy: optional(anything),
    autoStartCopy: withDefault(boolean(), true),
  } satisfies Record<keyof LogManagerConfig, Field<unknown>>,
  { noun: 'a mapping', nullIsAbsent: true },
)

function handler(name: string, h: Parsed<typeof HANDLER>, formats: Map<string, Template>): ResolvedHandler {
  const key = `handlers.${name}`
  if (h.json !== undefined && h.format !== 'json') throw invalidConfig(`${key}.json`, "applies to format: 'json' only")
  const common = { name, sink: resolve(h.sink), level: h.level, rotation: h.rotation, retention: h.retention, bufferSize: h.bufferSize, flushInterval: h.flushInterval }
  if (h.format === 'json') return { ...common, format: { kind: 'json', options: h.json ?? {} } }
  let template: Template
  if (h.format === undefined) template = compileTemplate(`${key}.format`, DEFAULT_FORMAT)
  else if (typeof h.format === 'string' && formats.has(h.format)) template = formats.get(h.format) as Template
  else if (typeof h.format === 'string' && h.format.includes('{')) template = compileTemplate(`${key}.format`, h.format)
  else {
    const known = [...formats.keys()]
    throw invalidConfig(`${key}.format`, `${JSON.stringify(h.format)} is neither a name in formats (${known.length ? known.join(', ') : 'none defined'}), 'json', nor a template with {placeholders}`)
  }
  return { ...common, format: { kind: 'template', template } }
}

function binding(key: string, v: unknown, handlers: Map<string, ResolvedHandler>, dflt: number): ResolvedTarget {
  let name: unknown = v
  let threshold = dflt
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const b = validateOptions(BINDING, v, report, key)
    name = b.handler
    if (b.level !== undefined) threshold = b.level
    key = `${key}.handler`
  }
  if (typeof name !== 'string') throw invalidConfig(key, `must name a handler, got ${JSON.stringify(name)}`)
  const h = handlers.get(name)
  if (!h) throw invalidConfig(key, `'${name}' is not a handler (defined: ${[...handlers.keys()].join(', ') || 'none'})`)
  return { handler: name, floor: Math.max(threshold, h.level) }
}

function logger(name: string, v: unknown, handlers: Map<string, ResolvedHandler>): ResolvedLogger {
  const key = `loggers.${name}`
  // Python style: a list of { handler, level }; each binding's level (default info) applies.
  const python = Array.isArray(v)
  let list: unknown[]
  let own: number | undefined
  let redactSpec: unknown
  if (python) list = v
  else {
    const l = validateOptions(LOGGER, v, report, key)
    own = l.level ?? LEVELS.info
    list = l.handlers
    redactSpec = l.redact
  }
  const base = python ? key : `${key}.handlers`
  if (list.length === 0) throw invalidConfig(base, 'must list at least one handler')
  // Python style: each binding's level (default info) is the handler's; the logger's own level is the lowest of them.
  const targets = list.map((b, i) => binding(`${base}[${i}]`, b, handlers, python ? LEVELS.info : LEVELS.trace))
  targets.forEach((t, i) => {
    if (targets.findIndex((o) => o.handler === t.handler) !== i) throw invalidConfig(`${base}[${i}]`, `lists handler '${t.handler}' a second time`)
  })
  const redact = compileRedact(`${key}.redact`, redactSpec as Parameters<typeof compileRedact>[1])
  return { name, level: own ?? Math.min(...targets.map((t) => t.floor)), targets, redact }
}

const MANAGER_OPTIONS = object({
  autoStartCopy: optional(boolean()),
  onWarning: optional(func<(err: Error) => void>()),
} satisfies Record<keyof LogManagerOptions, Field<unknown>>)

/** Checks the LogManager constructor's options (the second argument, beside the config). */
export function validateManagerOptions(options: LogManagerOptions): LogManagerOptions {
  return validateOptions(MANAGER_OPTIONS, options, configErrorReporter(() => 'is not a LogManager option'))
}

/** Validates a parsed config (from YAML or an object). */
export function validateConfig(raw: unknown): ResolvedConfig {
  const value = raw ?? {}
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidConfig('config', `must be a mapping, got ${show(value)}`)
  const top = validateOptions(TOP, value, report)
  const formats = new Map(Object.entries(top.formats ?? {}))
  if (formats.has('json')) throw invalidConfig('formats.json', "'json' is the built-in JSON format; give this template another name")
  const handlers = new Map<string, ResolvedHandler>()
  const sinks = new Map<string, string>()
  for (const [name, v] of Object.entries(top.handlers ?? {})) {
    const h = handler(name, v, formats)
    const other = sinks.get(h.sink)
    if (other !== undefined) throw invalidConfig(`handlers.${name}.sink`, `${JSON.stringify(h.sink)} is already the sink of handlers.${other}`)
    sinks.set(h.sink, name)
    handlers.set(name, h)
  }
  const loggers = new Map<string, ResolvedLogger>()
  for (const [name, v] of Object.entries(top.loggers ?? {})) loggers.set(name, logger(name, v, handlers))
  return { handlers, loggers, copy: parseCopySection(top.copy), autoStartCopy: top.autoStartCopy }
}
