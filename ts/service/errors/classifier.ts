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
  /**
   * Matches somewhere in every line `classify` would call a warning, an error or fatal (a
   * superset: the scanner looks only at the lines it finds). Undefined: look at every line.
   */
  readonly candidate: RegExp | undefined
  /**
   * The same candidate for the native search (regex crate syntax, searched case-insensitively):
   * the tokens and substring rules. Undefined when a rule is a regex (its JavaScript syntax and
   * semantics stay with `candidate`). The scanner uses it only where it would use `candidate`.
   */
  readonly nativeCandidate: string | undefined
  /** Whether tracebacks are grouped (the built-ins are on). */
  readonly tracebacks: boolean
}

function compile(rule: ErrorRule): Signature {
  if (rule.match === 'substring') return { name: rule.name, level: rule.level, test: (l) => l.includes(rule.pattern) }
  const re = new RegExp(rule.pattern)
  return { name: rule.name, level: rule.level, test: (l) => re.test(l) }
}

/** Tokens every warn/error/fatal line of the built-ins and explicit levels contains. */
const TOKENS = ['FATAL', 'CRITICAL', 'PANIC', 'ERR', 'WARN', 'level', 'severity', 'lvl', 'CUDA', 'NCCL', 'Watchdog', 'TIME LIMIT', 'CANCELLED', 'slurmstepd', 'oom', 'out of memory', 'segfault', 'Segmentation', 'SIGSEGV', 'Traceback']
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

function candidateOf(rules: readonly ErrorRule[]): RegExp | undefined {
  // The scanner matches on bytes read as latin1: a rule with other characters needs every line looked at.
  if (rules.some((r) => /[^\x00-\x7f]/.test(r.pattern))) return undefined
  // Back-references would be renumbered inside the union.
  if (rules.some((r) => r.match === 'regex' && /\\[1-9]|\\k</.test(r.pattern))) return undefined
  const parts = [...TOKENS.map(escape), ...rules.map((r) => (r.match === 'substring' ? escape(r.pattern) : `(?:${r.pattern})`))]
  // m: a rule's ^ and $ still mean a line's start and end inside a block of lines.
  return new RegExp(parts.join('|'), 'gim')
}

function nativeCandidateOf(rules: readonly ErrorRule[]): string | undefined {
  // Control characters (a line break the engine refuses) and non-ASCII: the JavaScript candidate decides.
  if (rules.some((r) => r.match === 'regex' || /[^\x20-\x7e\t]/.test(r.pattern))) return undefined
  // The escaped characters are escaped the same way in the regex crate; the others are literal in both.
  return [...TOKENS, ...rules.map((r) => r.pattern)].map(escape).join('|')
}

/** `settings.rules` are already validated (names, regex syntax). */
export function createClassifier(settings: Pick<ErrorSettings, 'builtins' | 'rules'> = DEFAULT_ERROR_SETTINGS): Classifier {
  const signatures = [...settings.rules.map(compile), ...(settings.builtins ? BUILTIN_SIGNATURES : [])]
  return {
    tracebacks: settings.builtins,
    candidate: candidateOf(settings.rules),
    nativeCandidate: nativeCandidateOf(settings.rules),
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
