/** Object names of uploaded files: a template string or a function of the file's details. */
import { basename } from 'node:path'
import type { SealedName } from './sealed-name.js'

/** What an object name is built from. */
export interface ObjectNameInput {
  /** Event name (LoggerManager) or the logger file's stem. */
  event: string
  /** Seal stamp from the file name, `YYYY-MM-DD_HH-MM-SS[_n]` (UTC). */
  timestamp: string
  /** `YYYY-MM-DD` of the stamp. */
  date: string
  /** The local file's base name. */
  name: string
  /** The local file's extension with its dot. */
  ext: string
  /** The local file's path. */
  path: string
}

export type ObjectNameOption = string | ((input: ObjectNameInput) => string)

export const DEFAULT_OBJECT_NAME = '{event}_{timestamp}.log'

const PLACEHOLDER = /\{(event|timestamp|date|name|ext)\}/g

export function objectNameInput(path: string, event: string, sealed: SealedName): ObjectNameInput {
  return { event, timestamp: sealed.timestamp, date: sealed.date, name: basename(path), ext: sealed.ext, path }
}

/** Renders `objectPrefix` + the template (or the function's answer). */
export function renderObjectName(prefix: string, option: ObjectNameOption, input: ObjectNameInput): string {
  const body = typeof option === 'function' ? option(input) : option.replace(PLACEHOLDER, (_, k: keyof ObjectNameInput) => input[k])
  if (typeof body !== 'string' || body === '') throw new TypeError(`objectName produced an empty name for ${input.path}`)
  return `${prefix}${body}`
}

/** Placeholders a template may use ({event}, {timestamp}, {date}, {name}, {ext}); others are errors. */
export function unknownPlaceholders(template: string): string[] {
  return [...template.matchAll(/\{([^}]*)\}/g)].map((m) => m[1] ?? '').filter((k) => !['event', 'timestamp', 'date', 'name', 'ext'].includes(k))
}
