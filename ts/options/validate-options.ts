/**
 * The one options validator. Every public entry point (transferFiles, createUploader,
 * uploadFile, copy jobs, LogManager configs, Logger/LoggerManager, filesystem(config))
 * describes its options with the vocabulary of schema.ts and validates them here: unknown keys
 * are rejected with a did-you-mean, every problem names its key path (`hadoop.namenode`,
 * `handlers.app.rotation`), and the error keeps the class and code the entry point has always
 * thrown, through one of the reporters below.
 */
import { ConfigError } from '../config-error.js'
import { configError } from '../errors.js'
import { Ctx, type Issue, type Reporter, type Schema } from './schema.js'

export { Ctx, type Issue, type Reporter, type Schema } from './schema.js'

/** Checks `value` against `schema`; the first problem is thrown as `report` builds it. */
export function validateOptions<T>(schema: Schema<T>, value: unknown, report: Reporter, path = ''): T {
  return schema.parse(value, new Ctx(path, report))
}

/** Throws the error for a problem found outside a schema (a rule between two keys). */
export function reportIssue(report: Reporter, kind: 'type' | 'range', path: string, problem: string): never {
  throw report({ kind, path, problem })
}

const didYouMean = (i: Extract<Issue, { kind: 'unknown' }>): string => (i.suggestion ? ` (did you mean '${i.suggestion}'?)` : '')

/** "unknown option 'retrys' (did you mean 'retries'?)", or "<path> <problem>". */
export function describeIssue(issue: Issue, noun: string): string {
  if (issue.kind === 'unknown') return `unknown ${noun} '${issue.path}'${didYouMean(issue)}`
  return issue.path === '' ? issue.problem : `${issue.path} ${issue.problem}`
}

/** RangeError for unknown keys and bad values, TypeError for wrong types. */
const errorKind = (issue: Issue): 'type' | 'range' => (issue.kind === 'type' ? 'type' : 'range')

/**
 * TypeError / RangeError with code ERR_INVALID_ARG (transferFiles). `prefix` starts every
 * message (e.g. 'transferFiles: ').
 */
export function invalidArgReporter(prefix = ''): Reporter {
  return (issue) => {
    const err = errorKind(issue) === 'type' ? new TypeError(prefix + describeIssue(issue, 'option')) : new RangeError(prefix + describeIssue(issue, 'option'))
    Object.defineProperty(err, 'code', { value: 'ERR_INVALID_ARG', enumerable: true })
    return err
  }
}

/**
 * TypeError / RangeError with code ERR_INVALID_CONFIG (Logger, LoggerManager, createUploader,
 * uploadFile). `noun` names what the keys are ('option', 'uploader option').
 */
export function invalidConfigReporter(noun = 'option'): Reporter {
  return (issue) => {
    const text = issue.kind === 'unknown' || noun === 'option' ? describeIssue(issue, noun) : `${noun} ${describeIssue(issue, noun)}`
    return configError(errorKind(issue), text)
  }
}

/**
 * ConfigError (ERR_INVALID_CONFIG) with `key` set to the key path and a message "key: problem"
 * (copy jobs, LogManager configs; the YAML loader adds file, line and column). `unknownProblem`
 * words an unknown key ("is not a copy job option").
 */
export function configErrorReporter(unknownProblem: (issue: Extract<Issue, { kind: 'unknown' }>) => string): Reporter {
  return (issue) => {
    if (issue.kind === 'unknown') return new ConfigError(`${unknownProblem(issue)}${didYouMean(issue)}`, { key: issue.path })
    return new ConfigError(issue.problem, { key: issue.path === '' ? undefined : issue.path })
  }
}
