/** Line templates such as "{time} | {level} | {message}", compiled once per handler. */
import { invalidConfig } from '../config-error.js'
import { isoClock } from './clock.js'
import { oneLine, renderFields } from './fields.js'
import { LEVEL_LABELS, LEVELS, type LevelName } from './levels.js'
import type { BoundFormat, ProcessContext, RecordFormat } from './record-format.js'

export const PLACEHOLDERS = ['time', 'level', 'message', 'name', 'pid', 'hostname', 'bindings', 'extra'] as const
export type Placeholder = (typeof PLACEHOLDERS)[number]

/**
 * A compiled template: the values of the placeholders in PLACEHOLDERS order (time: ISO 8601
 * UTC with milliseconds; bindings: rendered child bindings, ' k=v ...' or ''; extra: bindings
 * plus the call's fields, the same way).
 */
export interface Template {
  (time: string, level: string, message: string, name: string, pid: string, hostname: string, bindings: string, extra: string): string
  /** Whether the literal text has a line break (then each line is checked for one). */
  readonly multiline: boolean
}

/**
 * Compiles `text`. `{{` and `}}` are literal braces; any other `{...}` must be a known
 * placeholder, otherwise the config error names `key` and the placeholder.
 */
export function compileTemplate(key: string, text: unknown): Template {
  if (typeof text !== 'string') throw invalidConfig(key, `must be a template string like "{time} | {level} | {message}", got ${JSON.stringify(text)}`)
  const parts: (string | Placeholder)[] = []
  const isField: boolean[] = []
  let lit = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if ((c === '{' || c === '}') && text[i + 1] === c) {
      lit += c
      i++
    } else if (c === '{') {
      const end = text.indexOf('}', i)
      if (end < 0) throw invalidConfig(key, `unclosed '{' at character ${i + 1} of ${JSON.stringify(text)}`)
      const name = text.slice(i + 1, end)
      if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
        throw invalidConfig(key, `unknown placeholder {${name}} (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}; write {{ and }} for literal braces)`)
      }
      parts.push(lit, name as Placeholder)
      isField.push(false, true)
      lit = ''
      i = end
    } else if (c === '}') {
      throw invalidConfig(key, `unmatched '}' at character ${i + 1} of ${JSON.stringify(text)} (write }} for a literal brace)`)
    } else {
      lit += c
    }
  }
  parts.push(lit)
  isField.push(false)
  // One concatenation expression per template, compiled once: literals as JSON string literals,
  // placeholders (names from the fixed list above) as the function's parameters.
  const expr = parts.map((p, i) => (isField[i] ? p : JSON.stringify(p))).filter((e) => e !== '""').join(' + ') || '""'
  const render = new Function(...PLACEHOLDERS, `return ${expr}`) as Template
  return Object.assign(render, { multiline: /[\r\n]/.test(text) })
}

/** A template as a handler's format: fields as ` k=v` pairs, the time cached per millisecond. */
export function templateFormat(template: Template, ctx: ProcessContext): RecordFormat {
  const labels: string[] = []
  for (const [name, n] of Object.entries(LEVELS) as [LevelName, number][]) labels[n] = LEVEL_LABELS[name]
  const clock = isoClock('', '')
  const pid = String(ctx.pid)
  return {
    fields: 'text',
    bind(name, bindings): BoundFormat {
      const bound = renderFields(bindings)
      const shownName = oneLine(name)
      // Most calls repeat the message of a recent call: its one-line form is kept for the next one.
      let lastMessage: string | undefined
      let lastShown = ''
      return {
        line(level, fields, message) {
          if (message !== lastMessage) {
            lastMessage = message
            lastShown = message === undefined ? '' : oneLine(message)
          }
          const line = template(clock(), labels[level] as string, lastShown, shownName, pid, ctx.hostname, bound, fields === '' ? bound : bound + fields)
          return template.multiline ? oneLine(line) : line
        },
      }
    },
  }
}
