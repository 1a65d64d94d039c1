/** Log levels of LogManager loggers: trace < debug < info < warn < error < fatal, and silent. */
import { invalidConfig } from '../config-error.js'

export type LevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'
export type ThresholdName = LevelName | 'silent'

export const LEVELS: Readonly<Record<LevelName, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 }
/** Above every level: nothing passes. */
export const SILENT = 100

const ALIASES: Record<string, number> = { ...LEVELS, silent: SILENT, warning: LEVELS.warn, critical: LEVELS.fatal }

/** A threshold from config (case-insensitive; WARNING and CRITICAL accepted as in Python). */
export function parseLevel(key: string, value: unknown): number {
  const n = typeof value === 'string' ? ALIASES[value.toLowerCase()] : undefined
  if (n === undefined) {
    throw invalidConfig(key, `${JSON.stringify(value)} is not a level (trace, debug, info, warn, error, fatal or silent)`)
  }
  return n
}

/** The upper-case label written for a level ({level} in formats). */
export const LEVEL_LABELS: Readonly<Record<LevelName, string>> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'FATAL',
}
