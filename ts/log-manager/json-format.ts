/** `format: 'json'`: pino's line shape, {"level":30,"time":..,"pid":..,"hostname":..,"name":..,...,"msg":..}. */
import { epochClock, isoClock, type TimeText } from './clock.js'
import { jsonFields } from './json-fields.js'
import { quote } from './json-value.js'
import { LEVELS, type LevelName } from './levels.js'
import type { BoundFormat, ProcessContext, RecordFormat } from './record-format.js'

export interface JsonFormatOptions {
  /** `number` (pino's 30) or `label` ("info"). Default number. */
  levels?: 'number' | 'label'
  /** `epoch` (ms, pino's default), `iso`, or false for no time. */
  time?: 'epoch' | 'iso' | false
  /** The key of the message (pino's messageKey). Default "msg". */
  messageKey?: string
  /**
   * Fields written first on every line. Default { pid, hostname }; null writes neither (the
   * logger's name is written either way).
   */
  base?: Readonly<Record<string, unknown>> | null
}

export function jsonFormat(options: JsonFormatOptions, ctx: ProcessContext): RecordFormat {
  const levelFrags: string[] = []
  for (const [label, n] of Object.entries(LEVELS) as [LevelName, number][]) {
    levelFrags[n] = '{"level":' + (options.levels === 'label' ? quote(label) : String(n))
  }
  const time = options.time ?? 'epoch'
  const clock: TimeText = time === 'epoch' ? epochClock(',"time":') : time === 'iso' ? isoClock(',"time":"', '"') : () => ''
  const msgKey = ',' + quote(options.messageKey ?? 'msg') + ':'
  const base = options.base === null ? '' : jsonFields(options.base ?? { pid: ctx.pid, hostname: ctx.hostname })
  // Most calls repeat the message of a recent call: its JSON literal is kept for the next one.
  let lastMessage = ''
  let lastQuoted = '""'
  const message = (m: string): string => {
    if (m !== lastMessage) {
      lastMessage = m
      lastQuoted = msgKey + quote(m)
    }
    return lastQuoted
  }
  lastQuoted = msgKey + lastQuoted
  return {
    fields: 'json',
    bind(name, bindings): BoundFormat {
      const prefix = base + ',"name":' + quote(name) + jsonFields(bindings)
      return {
        line: (level, fields, m) =>
          m === undefined
            ? (levelFrags[level] as string) + clock() + prefix + fields + '}'
            : (levelFrags[level] as string) + clock() + prefix + fields + message(m) + '}',
      }
    },
  }
}
