/**
 * The level of one log line and the signature that gave it: configured rules first (in order),
 * then the built-in signatures, then the level the line states. `classifyLine` (built-ins only)
 * is the small function the web UI and search reuse for highlighting; the service builds its
 * classifier from the settings' `errors.rules`.
 */
import { explicitLevel, type LineLevel } from './levels.js'
import { BUILTIN_SIGNATURES, type Signature } from './signatures.js'

export type { LineLevel } from './levels.js'

export interface ErrorRule {
  /** Reported as the event's signature. */
  name: string
  /** substring: case-sensitive substring; regex: JavaScript regular expression. */
  match: 'substring' | 'regex'
  pattern: string
  /** The level a matching line gets ('info' silences a known harmless error line). */
  level: LineLevel
}

export interface ErrorSettings {
  /** Use the built-in signatures (default true). */
  builtins: boolean
  rules: ErrorRule[]
  /** Error events kept per file for GET /errors, newest kept (counts stay exact). */
  maxEventsPerFile: number
}

export const DEFAULT_ERROR_SETTINGS: ErrorSettings = { builtins: true, rules: [], maxEventsPerFile: 200 }

export interface LineClass {
  level: LineLevel | undefined
  /** The rule or built-in signature that matched, if one did. */
  signature?: string
}

export interface Classifier {
  classify(line: string): LineClass
  /** Whether tracebacks are grouped (the built-ins are on). */
  readonly tracebacks: boolean
}

function compile(rule: ErrorRule): Signature {
  if (rule.match === 'substring') return { name: rule.name, level: rule.level, test: (l) => l.includes(rule.pattern) }
  const re = new RegExp(rule.pattern)
  return { name: rule.name, level: rule.level, test: (l) => re.test(l) }
}

/** `settings.rules` are already validated (names, regex syntax). */
export function createClassifier(settings: Pick<ErrorSettings, 'builtins' | 'rules'> = DEFAULT_ERROR_SETTINGS): Classifier {
  const signatures = [...settings.rules.map(compile), ...(settings.builtins ? BUILTIN_SIGNATURES : [])]
  return {
    tracebacks: settings.builtins,
    classify(line) {
      for (const s of signatures) if (s.test(line)) return { level: s.level, signature: s.name }
      return { level: explicitLevel(line) }
    },
  }
}

const builtin = createClassifier()

/** A line's level with the built-in signatures only (no configured rules). */
export function classifyLine(line: string): LineClass {
  return builtin.classify(line)
}

export function isErrorLevel(l: LineLevel | undefined): boolean {
  return l === 'error' || l === 'fatal'
}
