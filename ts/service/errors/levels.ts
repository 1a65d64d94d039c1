/**
 * The level a log line states itself: a JSON line's `level` / `severity` field (names or pino's
 * numbers), `level=error`, or an upper-case level word standing alone (`ERROR`, `[WARN]`,
 * `WARNING:root:`). Lower-case words in prose ("no error found") are not levels.
 */
export type LineLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug'

const NAMES: Record<string, LineLevel> = {
  fatal: 'fatal',
  critical: 'fatal',
  crit: 'fatal',
  panic: 'fatal',
  emerg: 'fatal',
  alert: 'fatal',
  error: 'error',
  err: 'error',
  warn: 'warn',
  warning: 'warn',
  info: 'info',
  notice: 'info',
  information: 'info',
  debug: 'debug',
  trace: 'debug',
}

/** pino / bunyan numeric levels. */
function numeric(n: number): LineLevel | undefined {
  if (n >= 60) return 'fatal'
  if (n >= 50) return 'error'
  if (n >= 40) return 'warn'
  if (n >= 30) return 'info'
  if (n >= 10) return 'debug'
  return undefined
}

function named(v: unknown): LineLevel | undefined {
  if (typeof v === 'number') return numeric(v)
  if (typeof v === 'string') return NAMES[v.toLowerCase()]
  return undefined
}

const WORD = /(?:^|[\s[(<|])(FATAL|CRITICAL|PANIC|ERROR|ERR|WARNING|WARN|INFO|NOTICE|DEBUG|TRACE)(?=$|[\s\]):>|,;-])/
const KEY_VALUE = /\b(?:level|lvl|severity)=["']?([A-Za-z]+|\d+)/i

/** The level `line` states, or undefined. */
export function explicitLevel(line: string): LineLevel | undefined {
  const t = line.trimStart()
  if (t.startsWith('{')) {
    try {
      const o = JSON.parse(t) as Record<string, unknown>
      const v = o.level ?? o.severity ?? o.lvl ?? o['log.level']
      const l = named(v)
      if (l !== undefined) return l
    } catch {
      // not JSON after all: read it as text
    }
  }
  const kv = KEY_VALUE.exec(line)
  if (kv) {
    const l = /^\d+$/.test(kv[1] as string) ? numeric(Number(kv[1])) : named(kv[1])
    if (l !== undefined) return l
  }
  const w = WORD.exec(line)
  return w ? NAMES[(w[1] as string).toLowerCase()] : undefined
}
