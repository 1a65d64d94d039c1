/**
 * `searchLogs(options)`: the lines of log files that match a literal or a regular expression,
 * as an async iterator, newest file first, `.gz`/`.zst` decoded. The scan is native (see
 * docs/search.md); this layer checks the options and shapes the matches.
 */
import { LogferryError } from '../errors.js'
import { boolean, custom, func, instanceOf, integer, list, object, optional, required, string, union, type Field } from '../options/schema.js'
import { invalidArgReporter, validateOptions } from '../options/validate-options.js'
import { PatternError, startSearch } from './native-search.js'

export interface SearchOptions {
  /** A literal (default) or, with `regex: true`, a regular expression (Rust regex syntax, as ripgrep). */
  pattern: string
  /** Files and directories; directories are walked (names starting with '.' skipped, links not followed). */
  paths: string | readonly string[]
  regex?: boolean
  /** Unicode case folding (as `rg -i`). */
  ignoreCase?: boolean
  /** Most matches in all; the search stops reading when reached. */
  limit?: number
  /** Lines of context before and after each match (default 0). */
  context?: number
  /** Overrides `context` before / after. */
  before?: number
  after?: number
  /** Files modified at or after / before this time (Date or epoch ms). */
  since?: Date | number
  until?: Date | number
  /** Files scanned at once (default: the machine's cores). */
  threads?: number
  /** Aborting stops the scan; the iterator then throws the signal's reason. */
  signal?: AbortSignal
  /**
   * A file that cannot be searched (unreadable, a corrupt `.gz`): without this, the iterator
   * throws its SearchFileError after the file's matches before the problem; with it, the
   * search goes on with the next file.
   */
  onError?: (error: SearchFileError) => void
}

export interface SearchMatch {
  path: string
  /** 1-based. */
  lineNumber: number
  /** Of the line's first byte in the (decoded) content. */
  offset: number
  /** The line without its `\n` (a `\r` before it is kept); invalid UTF-8 shows as U+FFFD. */
  line: string
  /** Context lines, oldest first (present when context was asked for). */
  before?: string[]
  after?: string[]
}

/** A file the search could not read to its end; `code` ERR_IO, ERR_CORRUPT or ERR_PANIC. */
export class SearchFileError extends LogferryError {
  readonly path: string
  constructor(code: 'ERR_IO' | 'ERR_CORRUPT' | 'ERR_PANIC', path: string, message: string) {
    super(code, `${path}: ${message}`)
    this.name = 'SearchFileError'
    this.path = path
  }
}

const count = integer({ min: 0, max: Number.MAX_SAFE_INTEGER })
const contextLines = integer({ min: 0, max: 10_000 })
const time = union(instanceOf(Date), integer({ min: -8.64e15, max: 8.64e15 }))

const OPTIONS = object({
  pattern: required(string()),
  paths: required(union(string({ nonEmpty: true }), list(string({ nonEmpty: true }), { nonEmpty: true }))),
  regex: optional(boolean()),
  ignoreCase: optional(boolean()),
  limit: optional(count),
  context: optional(contextLines),
  before: optional(contextLines),
  after: optional(contextLines),
  since: optional(time),
  until: optional(time),
  threads: optional(integer({ min: 1, max: 1024 })),
  signal: optional(custom<AbortSignal>('an AbortSignal', (v) => v instanceof AbortSignal)),
  onError: optional(func<(error: SearchFileError) => void>()),
} satisfies Record<keyof SearchOptions, Field<unknown>>)

const epochMs = (t: Date | number | undefined): number | undefined => (t === undefined ? undefined : typeof t === 'number' ? t : t.getTime())

/**
 * The matching lines of the files under `options.paths`, newest file first, lines in order.
 * Bad options throw a TypeError/RangeError with code ERR_INVALID_ARG (an invalid pattern
 * included) at the call, before anything is read.
 */
export function searchLogs(options: SearchOptions): AsyncGenerator<SearchMatch, void, undefined> {
  const report = invalidArgReporter('searchLogs: ')
  const o = validateOptions(OPTIONS, options, report)
  let batches
  try {
    batches = startSearch(
      {
        pattern: o.pattern,
        regex: o.regex,
        ignoreCase: o.ignoreCase,
        paths: typeof o.paths === 'string' ? [o.paths] : [...o.paths],
        limit: o.limit,
        before: o.before ?? o.context,
        after: o.after ?? o.context,
        sinceMs: epochMs(o.since),
        untilMs: epochMs(o.until),
        threads: o.threads,
      },
      o.signal,
    )
  } catch (err) {
    if (err instanceof PatternError) throw report({ kind: 'range', path: 'pattern', problem: `is not a valid ${o.regex ? 'regular expression' : 'pattern'}: ${err.message}` })
    throw err
  }
  return matches(batches, o.onError)
}

async function* matches(batches: ReturnType<typeof startSearch>, onError: ((e: SearchFileError) => void) | undefined): AsyncGenerator<SearchMatch, void, undefined> {
  for await (const b of batches) {
    for (const m of b.matches) {
      const out: SearchMatch = { path: b.path, lineNumber: m.lineNumber, offset: m.offset, line: m.line }
      if (m.before !== undefined) out.before = m.before
      if (m.after !== undefined) out.after = m.after
      yield out
    }
    if (b.error !== undefined) {
      const e = new SearchFileError(b.error.code as 'ERR_IO' | 'ERR_CORRUPT' | 'ERR_PANIC', b.path, b.error.message)
      if (onError === undefined) throw e
      onError(e)
    }
  }
}
