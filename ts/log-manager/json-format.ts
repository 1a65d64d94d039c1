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
  /** The key of the time. Default "time" (e.g. "timestamp" for tools that expect that shape). */
  timeKey?: string
  /** The key of the logger's name. Default "name" (e.g. "logger"). */
  nameKey?: string
  /**
   * Fields written first on every line. Default { pid, hostname }; null writes neither (the
   * logger's name is written either way).
   */
  base?: Readonly<Record<string, unknown>> | null
}

/**
 * A line is four pieces: '{"level":30,"time":<ms>' (kept per level for the current
 * millisecond), the logger's prefix (base, name, bindings: rendered at bind), the fields, and
 * ',"msg":"<message>"}' (kept for the last message, which most calls repeat).
 */
export function jsonFormat(options: JsonFormatOptions, ctx: ProcessContext): RecordFormat {
  const levelFrags: string[] = []
  for (const [label, n] of Object.entries(LEVELS) as [LevelName, number][]) {
    levelFrags[n] = '{"level":' + (options.levels === 'label' ? quote(label) : String(n))
  }
  const time = options.time ?? 'epoch'
  const timeKey = ',' + quote(options.timeKey ?? 'time') + ':'
  const clock: TimeText | undefined = time === 'epoch' ? epochClock(timeKey) : time === 'iso' ? isoClock(timeKey + '"', '"') : undefined
  let heads: string[] = []
  let headsTime = ''
  const head = (level: number): string => {
    if (clock === undefined) return levelFrags[level] as string
    const t = clock()
    if (t !== headsTime) {
      headsTime = t
      heads = []
    }
    return (heads[level] ??= (levelFrags[level] as string) + t)
  }
  const msgKey = ',' + quote(options.messageKey ?? 'msg') + ':'
  let lastMessage: string | undefined
  let lastTail = '}'
  const tail = (m: string | undefined): string => {
    if (m !== lastMessage) {
      lastMessage = m
      lastTail = m === undefined ? '}' : msgKey + quote(m) + '}'
    }
    return lastTail
  }
  const nameKey = ',' + quote(options.nameKey ?? 'name') + ':'
  const base = options.base === null ? '' : jsonFields(options.base ?? { pid: ctx.pid, hostname: ctx.hostname })
  return {
    fields: 'json',
    bind(name, bindings): BoundFormat {
      const prefix = base + nameKey + quote(name) + jsonFields(bindings)
      return { line: (level, fields, m) => head(level) + prefix + fields + tail(m) }
    },
  }
}
