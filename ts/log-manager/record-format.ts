/**
 * How a handler turns a record into a line. The work is split by how often it changes: once per
 * handler (level fragments, the base fields), once per logger or child (name and bindings,
 * `bind`), and per call only the time (cached per millisecond), the fields and the message.
 */
import type { LogFields } from './managed-logger.js'

export interface ProcessContext {
  pid: number
  hostname: string
}

/** A format with one logger's name and bindings already rendered. */
export interface BoundFormat {
  /** `fields` is the fields fragment of the format's kind (jsonFields or renderFields), '' for none. */
  line(level: number, fields: string, message: string | undefined): string
}

export interface RecordFormat {
  /** Which fields fragment `line` takes: JSON members or ` k=v` pairs. */
  readonly fields: 'json' | 'text'
  bind(name: string, bindings: LogFields): BoundFormat
}
