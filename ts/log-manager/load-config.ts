/** Reading a LogManager config: a YAML file, YAML text, or an object. */
import { readFileSync } from 'node:fs'
import type { Document } from 'yaml'
import { ConfigError } from '../config-error.js'
import type { LogManagerConfig } from './config-types.js'
import { validateConfig, type ResolvedConfig } from './validate-config.js'
import { locateKey } from './yaml-locate.js'
import { yaml } from './yaml.js'

/** A parsed YAML config and a way to find where a key path is written in it. */
export interface ParsedYaml {
  value: unknown
  /** Line and column of a key path (or of its nearest enclosing key), if it is in the text. */
  locate(key: string): { line: number; col: number } | undefined
}

/** Parses YAML text; a syntax error becomes a ConfigError with the line and column. */
export function parseYamlWithPositions(text: string, file?: string): ParsedYaml {
  const { LineCounter, parseDocument } = yaml()
  const lines = new LineCounter()
  const doc: Document = parseDocument(text, { prettyErrors: true, lineCounter: lines })
  const err = doc.errors[0]
  if (err) {
    const pos = err.linePos?.[0]
    const problem = (err.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')
    throw new ConfigError(`YAML syntax error: ${problem}`, { file, line: pos?.line, column: pos?.col, cause: err })
  }
  return { value: doc.toJS() as unknown, locate: (key) => locateKey(doc, lines, key) }
}

/** Parses YAML text into plain data; a syntax error becomes a ConfigError with the line and column. */
export function parseYaml(text: string, file?: string): unknown {
  return parseYamlWithPositions(text, file).value
}

/** Validates parsed YAML; a ConfigError about a key gets the file and the key's line and column. */
export function validateYaml(parsed: ParsedYaml, file: string | undefined): ResolvedConfig {
  try {
    return validateConfig(parsed.value ?? {})
  } catch (err) {
    if (!(err instanceof ConfigError) || err.key === undefined) throw file === undefined ? err : labelWithFile(err, file)
    const pos = parsed.locate(err.key)
    const problem = err.message.slice(err.key.length + 2)
    throw new ConfigError(problem, { file, key: err.key, line: pos?.line, column: pos?.col, cause: err.cause })
  }
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
  return validateYaml(parseYamlWithPositions(text, path), path)
}

/** Validates YAML text (`file` only labels errors). */
export function loadConfigText(text: string, file?: string): ResolvedConfig {
  return validateYaml(parseYamlWithPositions(text, file), file)
}

/** A file path, or a config object. */
export function loadConfig(config: string | LogManagerConfig): ResolvedConfig {
  return typeof config === 'string' ? loadConfigFile(config) : validateConfig(config)
}
