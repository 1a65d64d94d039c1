/**
 * `logferry collect`'s configuration (docs/collect.md, "Configuration"): `conf/.env` (paths,
 * retries, log format), `conf/sources.conf` (JSON `servers`) and `conf/pipeline.conf` (JSON:
 * delete_source, parallelism, settle time, formats). Environment variables override `.env`.
 * Every problem is a ConfigError (ERR_INVALID_CONFIG) naming the file, the key and the problem,
 * checked by the one options validator.
 */
import { existsSync, readFileSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { ConfigError } from '../config-error.js'
import { describeIssue, validateOptions, type Reporter } from '../options/validate-options.js'
import { boolean, integer, list, number, object, oneOf, optional, required, string, withDefault } from '../options/schema.js'
import type { CompressionFormat } from './extract.js'

export interface CollectServer {
  name: string
  host: string
  user: string | undefined
  port: number
  identityFile: string | undefined
  /** A directory and a glob of file names in it, e.g. `/var/log/apps/*.gz`. */
  remotePath: string
  enabled: boolean
}

export interface CollectConfig {
  dataRoot: string
  stateDir: string
  logDir: string
  tmpDir: string
  maxRetryCopy: number
  maxRetryExtract: number
  /** ms */
  retryDelayBase: number
  /** ms */
  retryDelayMax: number
  logFormat: 'json' | 'text'
  servers: CollectServer[]
  deleteSource: boolean
  /** Servers worked on at once. */
  parallelServers: number
  /** Files per server copied/extracted at once. */
  parallelFiles: number
  /** ms: a file whose size or mtime changed within this time is still being written. */
  settleMs: number
  formats: CompressionFormat[]
  /** `zstd`: extracted files are stored as `<name>.zst` (pipeline.conf compress_extracted). */
  compressExtracted: 'none' | 'zstd'
  zstdLevel: number
  /** ms; files in processed/ and error/ moved there longer ago are removed after a pass (0: off). */
  cleanupAfterMs: number
  /** From SSH_PASSWORD (environment only): handed to ssh through sshpass -e, never logged. */
  sshPassword: string | undefined
  /** known_hosts ssh uses (default `STATE_DIR/known_hosts`). */
  knownHostsFile: string
  strictHostKeyChecking: 'yes' | 'accept-new' | 'no'
  /** WEBHOOK_URL: a JSON POST on critical errors (server unreachable, quarantined file). */
  webhookUrl: string | undefined
}

/** Reports as ConfigError naming `file` and the key path. */
function fileReporter(file: string, noun: string): Reporter {
  return (issue) => new ConfigError(issue.kind === 'unknown' ? describeIssue(issue, noun) : issue.problem, { file, key: issue.path === '' ? undefined : issue.path })
}

const ENV_KEYS = [
  'DATA_ROOT',
  'STATE_DIR',
  'LOG_DIR',
  'TMP_DIR',
  'MAX_RETRY_COPY',
  'MAX_RETRY_EXTRACT',
  'RETRY_DELAY_BASE',
  'RETRY_DELAY_MAX',
  'LOG_FORMAT',
  'SSH_KNOWN_HOSTS',
  'SSH_STRICT_HOST_KEY_CHECKING',
  'WEBHOOK_URL',
] as const

const envSchema = object({
  DATA_ROOT: required(string({ nonEmpty: true })),
  STATE_DIR: optional(string({ nonEmpty: true })),
  LOG_DIR: optional(string({ nonEmpty: true })),
  TMP_DIR: optional(string({ nonEmpty: true })),
  MAX_RETRY_COPY: withDefault(integer({ min: 0, max: 100, fromString: true }), 3),
  MAX_RETRY_EXTRACT: withDefault(integer({ min: 0, max: 100, fromString: true }), 3),
  /** seconds */
  RETRY_DELAY_BASE: withDefault(integer({ min: 0, fromString: true }), 60),
  RETRY_DELAY_MAX: withDefault(integer({ min: 0, fromString: true }), 3600),
  LOG_FORMAT: withDefault(oneOf(['json', 'text'] as const), 'json'),
  SSH_KNOWN_HOSTS: optional(string({ nonEmpty: true })),
  SSH_STRICT_HOST_KEY_CHECKING: withDefault(oneOf(['yes', 'accept-new', 'no'] as const), 'accept-new'),
  WEBHOOK_URL: optional(string({ pattern: /^https?:\/\/[^\s]+$/, hint: 'an http:// or https:// URL' })),
})

const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

const serverSchema = object({
  name: required(string({ pattern: SERVER_NAME, hint: 'a name of letters, digits, ".", "_" or "-" (it names directories)' })),
  host: required(string({ nonEmpty: true })),
  user: optional(string({ nonEmpty: true })),
  port: withDefault(integer({ min: 1, max: 65535 }), 22),
  identity_file: optional(string({ nonEmpty: true })),
  remote_path: required(string({ pattern: /^\/.*[^/]$/, hint: 'an absolute path ending in a file-name glob, e.g. "/var/log/apps/*.gz"' })),
  enabled: withDefault(boolean(), true),
})

const sourcesSchema = object({ servers: required(list(serverSchema, { nonEmpty: true })) })

const FORMATS = ['gzip', 'bzip2', 'xz', 'zstd'] as const

const pipelineSchema = object({
  delete_source: withDefault(boolean(), false),
  parallel_servers: withDefault(integer({ min: 1, max: 64 }), 3),
  parallel_files_per_server: withDefault(integer({ min: 1, max: 64 }), 2),
  settle_seconds: withDefault(integer({ min: 0 }), 60),
  formats: withDefault(list(oneOf(FORMATS), { nonEmpty: true }), [...FORMATS]),
  cleanup_days: withDefault(number({ min: 0, noun: 'a number of days' }), 0),
  compress_extracted: withDefault(oneOf(['none', 'zstd'] as const), 'none'),
  zstd_level: withDefault(integer({ min: 1, max: 22 }), 3),
})

/** `KEY=VALUE` lines; `#` comments, blank lines, optional `export ` and quotes. */
export function parseDotEnv(text: string, file: string): Record<string, string> {
  const out: Record<string, string> = {}
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line)
    if (!m) throw new ConfigError(`expected KEY=VALUE, got ${JSON.stringify(line)}`, { file, line: i + 1 })
    let v = (m[2] as string).trim()
    if ((v.startsWith('"') && v.endsWith('"') && v.length >= 2) || (v.startsWith("'") && v.endsWith("'") && v.length >= 2)) v = v.slice(1, -1)
    else v = v.replace(/\s+#.*$/, '')
    out[m[1] as string] = v
  })
  return out
}

function readJson(file: string): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(`cannot be read: ${(err as Error).message}`, { file, cause: err })
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`is not valid JSON: ${(err as Error).message}`, { file, cause: err })
  }
}

export interface LoadOptions {
  /** Default: process.env. Its values for the `.env` keys override the file's. */
  env?: Record<string, string | undefined>
}

/** Reads and checks `configDir`'s three files. */
export function loadCollectConfig(configDir: string, o: LoadOptions = {}): CollectConfig {
  const env = o.env ?? process.env
  const dir = resolve(configDir)
  const envFile = join(dir, '.env')
  const fromFile = existsSync(envFile) ? parseDotEnv(readFileSync(envFile, 'utf8'), envFile) : {}
  if (fromFile.SSH_PASSWORD !== undefined) {
    throw new ConfigError('must not be written in a file: export it in the environment (it is handed to ssh through sshpass -e)', { file: envFile, key: 'SSH_PASSWORD' })
  }
  const merged: Record<string, string> = { ...fromFile }
  for (const k of ENV_KEYS) {
    const v = env[k]
    if (v !== undefined && v !== '') merged[k] = v
  }
  const e = validateOptions(envSchema, merged, fileReporter(existsSync(envFile) ? envFile : `${envFile} (or the environment)`, '.env key'))
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(dir, p))
  const dataRoot = abs(e.DATA_ROOT)
  const stateDir = abs(e.STATE_DIR ?? join(dataRoot, 'state'))

  const sourcesFile = join(dir, 'sources.conf')
  const sources = validateOptions(sourcesSchema, readJson(sourcesFile), fileReporter(sourcesFile, 'server key'))
  const names = new Set<string>()
  sources.servers.forEach((s, i) => {
    if (names.has(s.name)) throw new ConfigError(`server name '${s.name}' is used twice`, { file: sourcesFile, key: `servers[${i}].name` })
    names.add(s.name)
  })

  const pipelineFile = join(dir, 'pipeline.conf')
  const p = existsSync(pipelineFile) ? validateOptions(pipelineSchema, readJson(pipelineFile), fileReporter(pipelineFile, 'pipeline key')) : validateOptions(pipelineSchema, {}, fileReporter(pipelineFile, 'pipeline key'))
  const password = env.SSH_PASSWORD
  return {
    dataRoot,
    stateDir,
    logDir: abs(e.LOG_DIR ?? join(dataRoot, 'logs')),
    tmpDir: abs(e.TMP_DIR ?? join(dataRoot, 'tmp')),
    maxRetryCopy: e.MAX_RETRY_COPY,
    maxRetryExtract: e.MAX_RETRY_EXTRACT,
    retryDelayBase: e.RETRY_DELAY_BASE * 1000,
    retryDelayMax: e.RETRY_DELAY_MAX * 1000,
    logFormat: e.LOG_FORMAT,
    servers: sources.servers.map((s) => ({
      name: s.name,
      host: s.host,
      user: s.user,
      port: s.port,
      identityFile: s.identity_file === undefined ? undefined : abs(s.identity_file),
      remotePath: s.remote_path,
      enabled: s.enabled,
    })),
    deleteSource: p.delete_source,
    parallelServers: p.parallel_servers,
    parallelFiles: p.parallel_files_per_server,
    settleMs: p.settle_seconds * 1000,
    formats: p.formats,
    compressExtracted: p.compress_extracted,
    zstdLevel: p.zstd_level,
    cleanupAfterMs: p.cleanup_days * 86_400_000,
    sshPassword: password === undefined || password === '' ? undefined : password,
    knownHostsFile: abs(e.SSH_KNOWN_HOSTS ?? join(stateDir, 'known_hosts')),
    strictHostKeyChecking: e.SSH_STRICT_HOST_KEY_CHECKING,
    webhookUrl: e.WEBHOOK_URL,
  }
}
