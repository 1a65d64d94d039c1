/**
 * The vocabulary every public entry point describes its options with: integers and numbers
 * with ranges, booleans, strings, enums, sizes, rates, durations, functions, instances, lists,
 * records, nested objects and unions. A schema checks a value at a key path and either returns
 * it (defaults applied) or reports one issue; the entry point's reporter turns the issue into
 * the error class and code that entry point has always thrown (see validate-options.ts).
 */
import { closest } from './did-you-mean.js'
import { DURATION_HINT, RATE_HINT, SIZE_HINT, durationOf, rateOf, sizeOf } from './units.js'

export type Issue =
  /** A value of the wrong type ('type') or a value of the right type that is not allowed ('range'). */
  | { kind: 'type' | 'range'; path: string; problem: string }
  /** A key the schema does not know; `suggestion` is the nearest known key, if one is close. */
  | { kind: 'unknown'; path: string; key: string; known: readonly string[]; suggestion: string | undefined }

/** Builds the error an entry point throws for an issue (TypeError/RangeError, ConfigError, ...). */
export type Reporter = (issue: Issue) => Error

/** Where a value sits (its key path) and how a problem with it is reported. */
export class Ctx {
  constructor(
    readonly path: string,
    readonly report: Reporter,
  ) {}

  /** The context of a member: `a.b` for a key, `a[0]` for a list index. */
  at(key: string | number): Ctx {
    const path = typeof key === 'number' ? `${this.path}[${key}]` : this.path === '' ? key : `${this.path}.${key}`
    return new Ctx(path, this.report)
  }

  fail(kind: 'type' | 'range', problem: string): never {
    throw this.report({ kind, path: this.path, problem })
  }

  unknownKey(key: string, known: readonly string[]): never {
    const path = this.at(key).path
    const suggestion = closest(key, known)
    throw this.report({ kind: 'unknown', path, key, known, suggestion: suggestion === undefined ? undefined : this.at(suggestion).path })
  }
}

export interface Schema<T> {
  /** What the value must be, as a noun phrase for messages ('an integer', 'a FileSystem'). */
  readonly expects: string
  /** Whether the value is of this schema's type (a union picks the first member that accepts). */
  accepts(value: unknown): boolean
  /** The checked value; reports through `ctx` (which throws) when it is not valid. */
  parse(value: unknown, ctx: Ctx): T
}

/** The type a schema resolves to. */
export type Parsed<S> = S extends Schema<infer T> ? T : never

/** A short rendering of a bad value for messages. */
export function show(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'symbol') return String(v)
  if (typeof v === 'function') return 'a function'
  if (Array.isArray(v)) return 'a list'
  if (v === undefined) return 'undefined'
  let s: string
  try {
    s = JSON.stringify(v) ?? String(v)
  } catch {
    s = Object.prototype.toString.call(v)
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function schema<T>(expects: string, accepts: (v: unknown) => boolean, parse: (v: unknown, ctx: Ctx) => T): Schema<T> {
  return { expects, accepts, parse }
}

/** Any value accepted as it is when `accepts` says so (FileSystem specs, clients, keys). */
export function custom<T>(expects: string, accepts: (v: unknown) => boolean, parse?: (v: unknown, ctx: Ctx) => T): Schema<T> {
  return schema(expects, accepts, (v: unknown, ctx: Ctx) => {
    if (!accepts(v)) ctx.fail('type', `must be ${expects}, got ${show(v)}`)
    return parse ? parse(v, ctx) : (v as T)
  })
}

/** Extra checks or a conversion after a schema accepted a value. */
export function refine<T, U>(base: Schema<T>, then: (v: T, ctx: Ctx) => U): Schema<U> {
  return schema(base.expects, base.accepts, (v, ctx) => then(base.parse(v, ctx), ctx))
}

export interface IntegerOptions {
  min?: number
  max?: number
  /** Also take a string of digits (URL query parameters). */
  fromString?: boolean
}

export function integer(o: IntegerOptions = {}): Schema<number> {
  const min = o.min ?? Number.MIN_SAFE_INTEGER
  const max = o.max ?? Number.MAX_SAFE_INTEGER
  const digits = (v: unknown): boolean => o.fromString === true && typeof v === 'string' && /^-?\d+$/.test(v)
  const range = o.max === undefined ? `an integer >= ${min}` : `an integer from ${min} to ${max}`
  return schema(
    'an integer',
    (v) => typeof v === 'number' || digits(v),
    (raw: unknown, ctx: Ctx): number => {
      const v = digits(raw) ? Number(raw) : raw
      if (typeof v !== 'number') ctx.fail('type', `must be ${o.min === undefined && o.max === undefined ? 'an integer' : range}, got ${show(v)}`)
      if (!Number.isInteger(v) || v < min || v > max) ctx.fail('range', `must be ${range}, got ${show(v)}`)
      return v
    },
  )
}

export interface NumberOptions {
  min?: number
  /** The minimum itself is not allowed (a positive number: { min: 0, exclusive: true }). */
  exclusive?: boolean
  max?: number
  /** What the number is, for the message ('a number of ms'). */
  noun?: string
}

/** A finite number. */
export function number(o: NumberOptions = {}): Schema<number> {
  const noun = o.noun ?? 'a number'
  const bound = o.min === undefined ? '' : o.exclusive ? ` > ${o.min}` : ` >= ${o.min}`
  const top = o.max === undefined ? '' : ` and <= ${o.max}`
  return schema('a number', (v) => typeof v === 'number', (v: unknown, ctx: Ctx) => {
    if (typeof v !== 'number') ctx.fail('type', `must be ${noun}, got ${show(v)}`)
    const low = o.min !== undefined && (o.exclusive ? v <= o.min : v < o.min)
    if (!Number.isFinite(v) || low || (o.max !== undefined && v > o.max)) ctx.fail('range', `must be a finite ${noun.replace(/^an? /, '')}${bound}${top}, got ${show(v)}`)
    return v
  })
}

export function boolean(o: { fromString?: boolean } = {}): Schema<boolean> {
  const word = (v: unknown): boolean => o.fromString === true && (v === 'true' || v === 'false')
  return schema('true or false', (v) => typeof v === 'boolean' || word(v), (v: unknown, ctx: Ctx) => {
    if (word(v)) return v === 'true'
    if (typeof v !== 'boolean') ctx.fail('type', `must be true or false, got ${show(v)}`)
    return v
  })
}

export interface StringOptions {
  /** Reject '' and blank strings (as a type error: nothing was given). */
  nonEmpty?: boolean
  /** The string must match, else a range error "must be <hint>". */
  pattern?: RegExp
  hint?: string
}

export function string(o: StringOptions = {}): Schema<string> {
  const what = o.nonEmpty ? 'a non-empty string' : 'a string'
  return schema('a string', (v) => typeof v === 'string', (v: unknown, ctx: Ctx) => {
    if (typeof v !== 'string' || (o.nonEmpty && v.trim() === '')) ctx.fail('type', `must be ${what}, got ${show(v)}`)
    if (o.pattern && !o.pattern.test(v)) ctx.fail('range', `must be ${o.hint ?? `a string matching ${String(o.pattern)}`}, got ${show(v)}`)
    return v
  })
}

/** One of a few strings; a near miss gets a did-you-mean. */
export function oneOf<const T extends string>(values: readonly T[]): Schema<T> {
  const list = values.map((v) => `'${v}'`).join(', ')
  return schema(`one of ${list}`, (v) => typeof v === 'string', (v: unknown, ctx: Ctx) => {
    if (typeof v !== 'string') ctx.fail('type', `must be one of ${list}, got ${show(v)}`)
    if (!(values as readonly string[]).includes(v)) {
      const near = closest(v, values)
      ctx.fail('range', `must be one of ${list}, got '${v}'${near ? ` (did you mean '${near}'?)` : ''}`)
    }
    return v as T
  })
}

/** Bytes: a number or a string like "10 MB" / "512 KiB". */
export function size(o: { min?: number; belowMin?: string } = {}): Schema<number> {
  return schema('a size', (v) => typeof v === 'number' || typeof v === 'string', (v: unknown, ctx: Ctx) => {
    const n = sizeOf(v)
    if (n === undefined) ctx.fail(typeof v === 'string' || typeof v === 'number' ? 'range' : 'type', `${show(v)} is not ${SIZE_HINT}`)
    if (o.min !== undefined && n < o.min) ctx.fail('range', `${show(v)} ${o.belowMin ?? `is below ${o.min} bytes`}`)
    return n
  })
}

/** Bytes per second: a positive number or a string like '50MB/s', '100Mbit/s'. */
export function rate(): Schema<number> {
  return schema('a rate', (v) => typeof v === 'number' || typeof v === 'string', (v: unknown, ctx: Ctx) => {
    if (typeof v === 'number') {
      const n = rateOf(v)
      if (n === undefined) ctx.fail('range', `must be a positive number of bytes per second, got ${v}`)
      return n
    }
    if (typeof v !== 'string') ctx.fail('type', "must be a number (bytes/s) or a string like '50MB/s'")
    const n = rateOf(v)
    if (n === undefined) ctx.fail('range', `'${v}' is not a rate: use ${RATE_HINT}`)
    return n
  })
}

/** Milliseconds: a number (in `numberUnit`) or a string like "1 week", "30s". */
export function duration(o: { numberUnit?: 'ms' | 's'; min?: number } = {}): Schema<number> {
  return schema('a duration', (v) => typeof v === 'number' || typeof v === 'string', (v: unknown, ctx: Ctx) => {
    const n = durationOf(v, o.numberUnit)
    if (n === undefined) ctx.fail(typeof v === 'string' || typeof v === 'number' ? 'range' : 'type', `${show(v)} is not ${DURATION_HINT}`)
    if (o.min !== undefined && n < o.min) ctx.fail('range', `must be at least ${o.min} ms`)
    return n
  })
}

/** A function, accepted as it is. */
export function func<T extends (...args: never[]) => unknown>(): Schema<T> {
  return custom<T>('a function', (v) => typeof v === 'function')
}

/** An instance of a class, accepted as it is. */
export function instanceOf<T>(ctor: abstract new (...args: never[]) => T, name = ctor.name): Schema<T> {
  return custom<T>(`an ${name}`.replace(/^an ([^AEIOU])/, 'a $1'), (v) => v instanceof ctor)
}

export function list<T>(item: Schema<T>, o: { nonEmpty?: boolean } = {}): Schema<T[]> {
  return schema(`a list of ${item.expects.replace(/^an? /, '')}s`, Array.isArray, (v: unknown, ctx: Ctx) => {
    if (!Array.isArray(v)) ctx.fail('type', `must be a list, got ${show(v)}`)
    if (o.nonEmpty && v.length === 0) ctx.fail('range', 'must be a non-empty list')
    return v.map((x, i) => item.parse(x, ctx.at(i)))
  })
}

/** An object whose keys are names the user chooses (handlers, env variables), each value checked. */
export function record<T>(value: Schema<T>, o: { noun?: string } = {}): Schema<Record<string, T>> {
  const noun = o.noun ?? 'an object'
  return schema(noun, isPlainObject, (v: unknown, ctx: Ctx) => {
    if (!isPlainObject(v)) ctx.fail('type', `must be ${noun}, got ${show(v)}`)
    const out: Record<string, T> = {}
    for (const [k, x] of Object.entries(v)) out[k] = value.parse(x, ctx.at(k))
    return out
  })
}

/** How an object key is given: optional, with a default, or required. */
export interface Field<T> {
  readonly schema: Schema<unknown>
  readonly mode: 'optional' | 'default' | 'required'
  readonly fallback?: unknown
  /** The problem reported when a required key is missing. */
  readonly missing?: string
  /** The type of the resolved value (never set). */
  readonly _out?: T
}

export function optional<T>(s: Schema<T>): Field<T | undefined> {
  return { schema: s, mode: 'optional' }
}

export function withDefault<T>(s: Schema<T>, fallback: NoInfer<T>): Field<T> {
  return { schema: s, mode: 'default', fallback }
}

export function required<T>(s: Schema<T>, missing = 'is required'): Field<T> {
  return { schema: s, mode: 'required', missing }
}

export type Shape = Record<string, Field<unknown>>
export type Resolved<S extends Shape> = { -readonly [K in keyof S]: S[K] extends Field<infer T> ? T : never }

export interface ObjectOptions {
  /** The noun of the type error ('an object', 'a mapping'). */
  noun?: string
  /** A null value means "not given" (YAML `key:` with nothing after it). */
  nullIsAbsent?: boolean
}

/**
 * An object with known keys: unknown keys are rejected first (with a did-you-mean), then each
 * key is checked in the order of `shape`.
 */
export function object<S extends Shape>(shape: S, o: ObjectOptions = {}): Schema<Resolved<S>> & { readonly keys: readonly string[] } {
  const keys = Object.keys(shape)
  const noun = o.noun ?? 'an object'
  const parse = (v: unknown, ctx: Ctx): Resolved<S> => {
    if (!isPlainObject(v)) ctx.fail('type', `must be ${noun}, got ${show(v)}`)
    for (const k of Object.keys(v)) if (!Object.hasOwn(shape, k)) ctx.unknownKey(k, keys)
    const out: Record<string, unknown> = {}
    for (const k of keys) {
      const f = shape[k] as Field<unknown>
      const raw = o.nullIsAbsent && v[k] === null ? undefined : v[k]
      if (raw === undefined) {
        if (f.mode === 'required') ctx.at(k).fail('type', f.missing ?? 'is required')
        out[k] = f.mode === 'default' ? f.fallback : undefined
      } else out[k] = f.schema.parse(raw, ctx.at(k))
    }
    return out as Resolved<S>
  }
  return { expects: noun, accepts: isPlainObject, parse, keys }
}

/** The first member that accepts the value's type checks it; none: a type error naming them all. */
export function union<T extends readonly Schema<unknown>[]>(...members: T): Schema<T[number] extends Schema<infer U> ? U : never> {
  const expects = members.map((m) => m.expects).join(' or ')
  return schema(expects, (v) => members.some((m) => m.accepts(v)), (v: unknown, ctx: Ctx) => {
    const m = members.find((x) => x.accepts(v))
    if (!m) ctx.fail('type', `must be ${expects}, got ${show(v)}`)
    return m.parse(v, ctx) as T[number] extends Schema<infer U> ? U : never
  })
}
