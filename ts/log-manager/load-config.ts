/** Reading a LogManager config: a YAML file, YAML text, or an object. */
import { readFileSync } from 'node:fs'
import { parseDocument } from 'yaml'
import { ConfigError } from '../config-error.js'
import type { LogManagerConfig } from './config-types.js'
import { validateConfig, type ResolvedConfig } from './validate-config.js'

/** Parses YAML text; a syntax error becomes a ConfigError with the line and column. */
export function parseYaml(text: string, file?: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true })
  const err = doc.errors[0]
  if (err) {
    const pos = err.linePos?.[0]
    const problem = (err.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')
    throw new ConfigError(`YAML syntax error: ${problem}`, { file, line: pos?.line, column: pos?.col, cause: err })
  }
  return doc.toJS() as unknown
}

/** Adds the file name to a ConfigError that lacks one. */
export function labelWithFile(err: unknown, file: string): unknown {
  if (err instanceof ConfigError && err.file === undefined) {
    const problem = err.key !== undefined ? err.message.slice(err.key.length + 2) : err.message
    return new ConfigError(problem, { file, key: err.key, line: err.line, column: err.column, cause: err.cause })
  }
  return err
}

/** Loads and validates a YAML file; every error names the file and the key path. */
export function loadConfigFile(path: string): ResolvedConfig {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new ConfigError(`cannot read the config file: ${(err as Error).message}`, { file: path, cause: err })
  }
  try {
    return validateConfig(parseYaml(text, path))
  } catch (err) {
    throw labelWithFile(err, path)
  }
}

/** Validates YAML text (`file` only labels errors). */
export function loadConfigText(text: string, file?: string): ResolvedConfig {
  try {
    return validateConfig(parseYaml(text, file))
  } catch (err) {
    throw file === undefined ? err : labelWithFile(err, file)
  }
}

/** A file path, or a config object. */
export function loadConfig(config: string | LogManagerConfig): ResolvedConfig {
  return typeof config === 'string' ? loadConfigFile(config) : validateConfig(config)
}
