/**
 * The settings of `logferry serve`, in rising precedence: defaults, `.env` then `.env.local`
 * of the working directory, environment variables (the seed's names), a YAML/JSON config
 * file, options given in code / CLI flags. Each layer is checked by the one options validator
 * on its own, so a bad value is refused naming the key where it was written (`SYNC_INTERVAL`,
 * `sources[1].port` in the file, `--port`).
 */
import { existsSync, readFileSync } from 'node:fs'
import { homedir, userInfo } from 'node:os'
import { basename, dirname, isAbsolute, join, resolve } from 'node:path'
import { parseEnv } from 'node:util'
import { ConfigError } from '../config-error.js'
import { parseYamlWithPositions } from '../log-manager/load-config.js'
import { DEFAULT_RETRIES, DEFAULT_RETRY_DELAY_MS } from '../options/defaults.js'
import { boolean, custom, duration, integer, number, list, object, oneOf, optional, refine, required, size, string, withDefault, type Parsed, type Schema } from '../options/schema.js'
import { configErrorReporter, validateOptions } from '../options/validate-options.js'
import { CATEGORY_NAME_RE, DEFAULT_RULES } from './categorize/rules.js'
import { DEFAULT_ERROR_SETTINGS, type ErrorSettings } from './errors/classifier.js'
import { DEFAULT_RETENTION, type RetentionSettings } from './retention/policy.js'
import type { CategoryRule, RsyncSourceSettings, ServiceLimits, ServiceLogLevel, ServiceSettings, SourceSettings, TailSettings } from './types.js'

export const DEFAULT_PORT = 8004
export const DEFAULT_HOST = '127.0.0.1'
export const DEFAULT_DATA_DIR = 'logferry-data'
export const DEFAULT_LOCAL_SOURCE = 'logs'
export const DEFAULT_SYNC_INTERVAL = 60
export const DEFAULT_LIMITS: ServiceLimits = { maxTail: 100_000, maxLimit: 10_000, defaultLimit: 100 }
export const DEFAULT_TAIL: TailSettings = {
  maxClients: 100,
  maxDuration: 3_600_000,
  bufferLines: 10_000,
  bufferBytes: 4 * 1024 * 1024,
  pollInterval: 200,
  watch: true,
  stallTimeout: 30_000,
  ticketTtl: 60_000,
}

/** What code (createLogsService) or the CLI gives; every key optional, highest precedence. */
export interface ServiceOptions {
  /** YAML or JSON file (relative paths in it are relative to the file). */
  config?: string
  host?: string
  port?: number
  dataDir?: string
  /** Replace the configured sources: local dirs, storage URLs, `user@host:path` (rsync), each optionally `name=SPEC`. */
  source?: string | string[]
  sources?: SourceSettings[] | Record<string, unknown>[]
  rules?: CategoryRule[]
  syncInterval?: number | string
  authToken?: string
  /** A file holding the token (first line): keeps it off command lines (`ps`) and out of config files. */
  authTokenFile?: string
  logLevel?: string
  stopTimeout?: number | string
  retries?: number
  retryDelay?: number
  rsyncTimeout?: number
  limits?: Partial<ServiceLimits>
  tail?: Partial<TailSettings>
  errors?: Partial<ErrorSettings>
  retention?: Partial<RetentionSettings>
  /** Working directory for `.env`, `.env.local` and relative paths (default process.cwd()). */
  cwd?: string
  /** Environment (default process.env). */
  env?: Record<string, string | undefined>
  /** Skip `.env` / `.env.local` (default false). */
  ignoreEnvFiles?: boolean
}

type Partial2 = Partial<Omit<ServiceSettings, 'limits' | 'tail' | 'errors' | 'retention'>> & { errors?: Partial<ErrorSettings>; retention?: Partial<RetentionSettings> } & { limits?: Partial<ServiceLimits>; tail?: Partial<TailSettings>; sshSource?: Record<string, unknown>; authTokenFile?: string }

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
const NAME_HINT = "1-64 letters, digits, '.', '_' or '-' (not starting with '.', '_' or '-')"
const text = (): Schema<string> => string({ nonEmpty: true })
const port = (): Schema<number> => integer({ min: 0, max: 65535, fromString: true })
const seconds = (): Schema<number> => custom<number>('a number of seconds or a duration', (v) => typeof v === 'number' || typeof v === 'string', (v, ctx) => duration({ numberUnit: 's', min: 0 }).parse(typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v, ctx) / 1000)
const msDuration = (): Schema<number> => custom<number>('a number of ms or a duration', (v) => typeof v === 'number' || typeof v === 'string', (v, ctx) => duration({ numberUnit: 'ms', min: 0 }).parse(typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v, ctx))

/** LOG_LEVEL=INFO / WARNING (Python's names) are taken as info / warn. */
const logLevel = (): Schema<ServiceLogLevel> =>
  custom<ServiceLogLevel>('a log level', (v) => typeof v === 'string', (v, ctx) => {
    const s = String(v).toLowerCase()
    const mapped = s === 'warning' ? 'warn' : s === 'critical' ? 'fatal' : s
    return oneOf(LEVELS).parse(mapped, ctx)
  })

const RSYNC_SOURCE = object({
  name: required(string({ pattern: NAME_RE, hint: NAME_HINT })),
  kind: required(oneOf(['rsync'])),
  host: required(text()),
  port: withDefault(integer({ min: 1, max: 65535, fromString: true }), 22),
  user: withDefault(text(), userInfo().username),
  identityFile: optional(text()),
  password: optional(string()),
  remotePath: withDefault(text(), 'logs/'),
  knownHostsFile: optional(text()),
  strictHostKeyChecking: withDefault(oneOf(['yes', 'accept-new', 'no']), 'accept-new'),
})
const STORAGE_SOURCE = object({ name: required(string({ pattern: NAME_RE, hint: NAME_HINT })), kind: required(oneOf(['storage'])), url: required(text()) })
const LOCAL_SOURCE = object({ name: required(string({ pattern: NAME_RE, hint: NAME_HINT })), kind: required(oneOf(['local'])), path: required(text()) })

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** A source object: `kind` picks its keys (given, or guessed from host / url / path). */
const SOURCE: Schema<SourceSettings> = custom<SourceSettings>('a source object', isObj, (v, ctx) => {
  const o = v as Record<string, unknown>
  const kind = o.kind ?? (o.host !== undefined ? 'rsync' : o.url !== undefined ? 'storage' : o.path !== undefined ? 'local' : undefined)
  if (kind === undefined) ctx.at('kind').fail('type', "is required ('rsync', 'storage' or 'local')")
  const k = oneOf(['rsync', 'storage', 'local']).parse(kind, ctx.at('kind'))
  const full = { ...o, kind: k }
  return (k === 'rsync' ? RSYNC_SOURCE : k === 'storage' ? STORAGE_SOURCE : LOCAL_SOURCE).parse(full, ctx) as SourceSettings
})

const RULE: Schema<CategoryRule> = custom<CategoryRule>('a rule object', isObj, (v, ctx) =>
  object({
    category: required(string({ pattern: CATEGORY_NAME_RE, hint: NAME_HINT })),
    match: withDefault(oneOf(['substring', 'glob', 'regex']), 'substring'),
    pattern: required(text()),
  }).parse(v, ctx),
)

const LIMITS = object({
  maxTail: optional(integer({ min: 1, max: 10_000_000 })),
  maxLimit: optional(integer({ min: 1, max: 1_000_000 })),
  defaultLimit: optional(integer({ min: 1, max: 1_000_000 })),
})

const TAIL = object({
  maxClients: optional(integer({ min: 1, max: 100_000 })),
  maxDuration: optional(msDuration()),
  bufferLines: optional(integer({ min: 1, max: 10_000_000 })),
  bufferBytes: optional(refine(size({ min: 1024 }), (v, ctx) => (v > 1024 ** 3 ? ctx.fail('range', 'must be at most 1 GiB') : v))),
  pollInterval: optional(integer({ min: 10, max: 60_000 })),
  watch: optional(boolean({ fromString: true })),
  stallTimeout: optional(msDuration()),
  ticketTtl: optional(msDuration()),
})

const LINE_LEVEL = oneOf(['fatal', 'error', 'warn', 'info', 'debug'])
const ERROR_RULE = custom<ErrorSettings['rules'][number]>('an error rule object', isObj, (v, ctx) => {
  const r = object({
    name: required(string({ pattern: NAME_RE, hint: NAME_HINT })),
    match: withDefault(oneOf(['substring', 'regex']), 'substring'),
    pattern: required(text()),
    level: withDefault(LINE_LEVEL, 'error'),
  }).parse(v, ctx) as ErrorSettings['rules'][number]
  if (r.match === 'regex') {
    try {
      new RegExp(r.pattern)
    } catch (err) {
      ctx.at('pattern').fail('type', `is not a valid regular expression: ${(err as Error).message}`)
    }
  }
  return r
})
const ERRORS = object({
  builtins: optional(boolean()),
  rules: optional(list(ERROR_RULE)),
  maxEventsPerFile: optional(integer({ min: 0, max: 100_000 })),
})
const days = (): Schema<number> => number({ min: 0, noun: 'a number of days' })
const RETENTION_POLICY = object({
  compressAfterDays: optional(days()),
  compression: withDefault(oneOf(['gzip', 'zstd']), 'gzip'),
  deleteAfterDays: optional(days()),
  maxBytes: optional(integer({ min: 0 })),
})
const RETENTION = object({
  settleSeconds: optional(seconds()),
  policies: optional(
    custom<Record<string, unknown>>('an object of category: policy', isObj, (v, ctx) => {
      const out: Record<string, unknown> = {}
      for (const [k, p] of Object.entries(v as Record<string, unknown>)) {
        if (k !== '*' && !CATEGORY_NAME_RE.test(k)) ctx.at(k).fail('type', `is not a category name (${NAME_HINT}) or '*'`)
        out[k] = RETENTION_POLICY.parse(p, ctx.at(k))
      }
      return out
    }),
  ),
})

/** The config file's keys (and the code options'). */
const FILE = object(
  {
    host: optional(text()),
    port: optional(port()),
    dataDir: optional(text()),
    sources: optional(list(SOURCE, { nonEmpty: true })),
    rules: optional(list(RULE)),
    syncInterval: optional(seconds()),
    authToken: optional(text()),
    authTokenFile: optional(text()),
    logLevel: optional(logLevel()),
    stopTimeout: optional(msDuration()),
    retries: optional(integer({ min: 0, max: 100 })),
    retryDelay: optional(integer({ min: 0, max: 3_600_000 })),
    rsyncTimeout: optional(integer({ min: 1, max: 86_400 })),
    limits: optional(LIMITS),
    errors: optional(ERRORS),
    retention: optional(RETENTION),
    tail: optional(TAIL),
  },
  { nullIsAbsent: true },
)

/** The environment variables read (the seed's names, then logferry's). */
const ENV = object({
  SSH_HOST: optional(text()),
  SSH_PORT: optional(integer({ min: 1, max: 65535, fromString: true })),
  SSH_USER: optional(text()),
  SSH_PASSWORD: optional(string()),
  SSH_IDENTITY_FILE: optional(text()),
  SSH_KNOWN_HOSTS: optional(text()),
  SSH_STRICT_HOST_KEY_CHECKING: optional(oneOf(['yes', 'accept-new', 'no'])),
  REMOTE_BASE_PATH: optional(text()),
  SYNC_INTERVAL: optional(seconds()),
  LOG_LEVEL: optional(logLevel()),
  LOGFERRY_TOKEN: optional(text()),
  LOGFERRY_TOKEN_FILE: optional(text()),
  LOGFERRY_HOST: optional(text()),
  LOGFERRY_PORT: optional(port()),
  LOGFERRY_DATA_DIR: optional(text()),
})
const ENV_KEYS = new Set(ENV.keys)
type EnvKey = keyof Parsed<typeof ENV>

/** The setting each environment variable gives (REMOTE_BASE_PATH is derived, below). */
const SETTING_OF_ENV = {
  LOGFERRY_HOST: 'host',
  LOGFERRY_PORT: 'port',
  LOGFERRY_DATA_DIR: 'dataDir',
  SYNC_INTERVAL: 'syncInterval',
  LOG_LEVEL: 'logLevel',
  LOGFERRY_TOKEN: 'authToken',
  LOGFERRY_TOKEN_FILE: 'authTokenFile',
} as const satisfies Partial<Record<EnvKey, keyof Partial2>>
const SSH_SOURCE_OF_ENV = {
  SSH_HOST: 'host',
  SSH_PORT: 'port',
  SSH_USER: 'user',
  SSH_PASSWORD: 'password',
  SSH_IDENTITY_FILE: 'identityFile',
  SSH_KNOWN_HOSTS: 'knownHostsFile',
  SSH_STRICT_HOST_KEY_CHECKING: 'strictHostKeyChecking',
} as const satisfies Partial<Record<EnvKey, keyof RsyncSourceSettings>>

/** The values of `from` that are set, under the names `names` gives them. */
function renamed(from: object, names: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, to] of Object.entries(names)) {
    const v: unknown = (from as Record<string, unknown>)[k]
    if (v !== undefined) out[to] = v
  }
  return out
}

const fileReport = configErrorReporter(() => 'is not a logferry serve setting')
const envReport = configErrorReporter(() => 'is not a logferry serve variable')

function readEnvFile(path: string): Record<string, string> {
  if (!existsSync(path)) return {}
  try {
    return parseEnv(readFileSync(path, 'utf8')) as Record<string, string>
  } catch (err) {
    throw new ConfigError(`cannot read: ${(err as Error).message}`, { file: path, cause: err })
  }
}

function envLayer(env: Record<string, string | undefined>, file: string | undefined): Partial2 {
  const picked: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (ENV_KEYS.has(k) && v !== undefined && v !== '') picked[k] = v
  let e
  try {
    e = validateOptions(ENV, picked, envReport)
  } catch (err) {
    if (file && err instanceof ConfigError && err.file === undefined) {
      throw new ConfigError(err.key ? err.message.slice(err.key.length + 2) : err.message, { file, key: err.key, cause: err.cause })
    }
    throw err
  }
  const out = renamed(e, SETTING_OF_ENV) as Partial2
  const ssh = renamed(e, SSH_SOURCE_OF_ENV)
  // As in the seed: the logs are under REMOTE_BASE_PATH/logs/.
  if (e.REMOTE_BASE_PATH !== undefined) ssh.remotePath = `${e.REMOTE_BASE_PATH.replace(/\/+$/, '')}/logs/`
  if (Object.keys(ssh).length > 0) out.sshSource = ssh
  return out
}

function merge(into: Partial2, layer: Partial2, where: string): void {
  if (layer.authToken !== undefined && layer.authTokenFile !== undefined)
    throw new ConfigError(`${where} gives both a token and a token file: give one`, { key: 'authTokenFile' })
  for (const [k, v] of Object.entries(layer)) {
    if (v === undefined) continue
    // The token and the token file are one setting: the higher layer's wins whichever form it has.
    if (k === 'authToken') delete into.authTokenFile
    if (k === 'authTokenFile') delete into.authToken
    if (k === 'limits') into.limits = { ...into.limits, ...Object.fromEntries(Object.entries(v as Partial<ServiceLimits>).filter(([, x]) => x !== undefined)) }
    else if (k === 'errors' || k === 'retention') (into as Record<string, unknown>)[k] = { ...(into as Record<string, Record<string, unknown> | undefined>)[k], ...Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined)) }
    else if (k === 'tail') into.tail = { ...into.tail, ...Object.fromEntries(Object.entries(v as Partial<TailSettings>).filter(([, x]) => x !== undefined)) }
    else if (k === 'sshSource') into.sshSource = { ...into.sshSource, ...(v as Record<string, unknown>) }
    else (into as Record<string, unknown>)[k] = v
  }
}

/** A local path: `~/x` is in the home directory, a relative one relative to `base`. */
function localPath(p: string, base: string): string {
  if (p === '~' || p.startsWith('~/')) return join(homedir(), p.slice(1))
  return isAbsolute(p) ? p : resolve(base, p)
}

/** Relative paths of a layer are relative to `base`. */
function absolutize(layer: Partial2, base: string): void {
  if (layer.dataDir !== undefined) layer.dataDir = localPath(layer.dataDir, base)
  if (layer.authTokenFile !== undefined) layer.authTokenFile = localPath(layer.authTokenFile, base)
  for (const s of layer.sources ?? []) {
    if (s.kind === 'local') s.path = localPath(s.path, base)
    if (s.kind === 'rsync') {
      if (s.identityFile !== undefined) s.identityFile = localPath(s.identityFile, base)
      if (s.knownHostsFile !== undefined) s.knownHostsFile = localPath(s.knownHostsFile, base)
    }
  }
  const ssh = layer.sshSource
  if (ssh?.identityFile !== undefined) ssh.identityFile = localPath(String(ssh.identityFile), base)
  if (ssh?.knownHostsFile !== undefined) ssh.knownHostsFile = localPath(String(ssh.knownHostsFile), base)
}

function loadFile(path: string): Partial2 {
  let content: string
  try {
    content = readFileSync(path, 'utf8')
  } catch (err) {
    throw new ConfigError(`cannot read the config file: ${(err as Error).message}`, { file: path, cause: err })
  }
  const parsed = parseYamlWithPositions(content, path)
  try {
    const v = validateOptions(FILE, parsed.value ?? {}, fileReport)
    return v as Partial2
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    const pos = err.key !== undefined ? parsed.locate(err.key) : undefined
    const problem = err.key !== undefined ? err.message.slice(err.key.length + 2) : err.message
    throw new ConfigError(problem, { file: path, key: err.key, line: pos?.line, column: pos?.col, cause: err.cause })
  }
}

/** A `--source` value: `name=SPEC`; SPEC a URL (storage), `user@host:path` (rsync) or a directory. */
export function parseSourceSpec(spec: string, cwd: string, index: number): SourceSettings {
  const key = `--source[${index}]`
  const eq = /^([A-Za-z0-9][A-Za-z0-9._-]{0,63})=(.+)$/.exec(spec)
  const name = eq?.[1]
  const s = eq?.[2] ?? spec
  if (s.trim() === '') throw new ConfigError('must be a directory, a storage URL or user@host:path', { key })
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    const u = new URL(s)
    return { name: name ?? (u.hostname || u.protocol.replace(':', '')), kind: 'storage', url: s }
  }
  const rs = /^(?:([^@/:]+)@)?([^@/:]+):(.*)$/.exec(s)
  if (rs && !/^[A-Za-z]:[\\/]/.test(s)) {
    return validateOptions(RSYNC_SOURCE, { name: name ?? (rs[2] as string), kind: 'rsync', host: rs[2], user: rs[1], remotePath: rs[3] || 'logs/' }, configErrorReporter(() => 'is not a source key'), key) as SourceSettings
  }
  const path = resolve(cwd, s)
  return { name: name ?? (basename(path).replace(/^[^A-Za-z0-9]+/, '') || 'local'), kind: 'local', path }
}

/** Resolves every layer into complete, checked settings; throws ConfigError naming the key. */
export function resolveSettings(o: ServiceOptions = {}): ServiceSettings {
  const cwd = resolve(o.cwd ?? process.cwd())
  const env = o.env ?? process.env
  const acc: Partial2 = {}
  if (!o.ignoreEnvFiles) {
    for (const f of ['.env', '.env.local']) {
      const file = resolve(cwd, f)
      const layer = envLayer(readEnvFile(file), file)
      absolutize(layer, cwd)
      merge(acc, layer, file)
    }
  }
  const envVars = envLayer(env, undefined)
  absolutize(envVars, cwd)
  merge(acc, envVars, 'the environment')
  if (o.config !== undefined) {
    const file = resolve(cwd, o.config)
    const layer = loadFile(file)
    absolutize(layer, dirname(file))
    merge(acc, layer, file)
  }
  const { config: _c, cwd: _w, env: _e, ignoreEnvFiles: _i, source, ...code } = o
  const codeReport = configErrorReporter(() => 'is not a logferry serve option')
  const codeLayer = validateOptions(FILE, Object.fromEntries(Object.entries(code).filter(([, v]) => v !== undefined)), codeReport) as Partial2
  absolutize(codeLayer, cwd)
  merge(acc, codeLayer, 'the options')
  if (source !== undefined) {
    const specs = Array.isArray(source) ? source : [source]
    acc.sources = specs.map((s, i) => parseSourceSpec(s, cwd, i))
  }

  let sources = acc.sources
  if (sources === undefined) {
    if (acc.sshSource?.host !== undefined) {
      sources = [validateOptions(RSYNC_SOURCE, { name: 'remote', kind: 'rsync', ...acc.sshSource }, envReport, 'SSH') as SourceSettings]
    } else sources = [{ name: 'local', kind: 'local', path: resolve(cwd, DEFAULT_LOCAL_SOURCE) }]
  } else if (acc.sshSource?.password !== undefined) {
    // SSH_PASSWORD also serves sources of the file that name no password of their own.
    sources = sources.map((s) => (s.kind === 'rsync' && s.password === undefined ? { ...s, password: acc.sshSource?.password as string } : s))
  }
  const dataDir = acc.dataDir ?? resolve(cwd, DEFAULT_DATA_DIR)
  const seen = new Set<string>()
  sources.forEach((s, i) => {
    if (seen.has(s.name)) throw new ConfigError(`two sources are named '${s.name}'`, { key: `sources[${i}].name` })
    seen.add(s.name)
    if (s.kind === 'rsync' && s.knownHostsFile === undefined) s.knownHostsFile = resolve(dataDir, '.ssh', 'known_hosts')
  })
  const rules = acc.rules ?? [...DEFAULT_RULES]
  rules.forEach((r, i) => {
    if (r.category === 'uncategorized') throw new ConfigError("'uncategorized' is what matches no rule: it cannot be a rule's category", { key: `rules[${i}].category` })
    if (r.match === 'regex') {
      try {
        new RegExp(r.pattern, 'i')
      } catch (err) {
        throw new ConfigError(`is not a valid regular expression: ${(err as Error).message}`, { key: `rules[${i}].pattern`, cause: err })
      }
    }
  })
  const limits = resolveLimits(acc.limits)
  const host = acc.host ?? DEFAULT_HOST
  const settings: ServiceSettings = {
    host,
    port: acc.port ?? DEFAULT_PORT,
    dataDir,
    sources,
    rules,
    syncInterval: acc.syncInterval ?? DEFAULT_SYNC_INTERVAL,
    authToken: acc.authTokenFile !== undefined ? readTokenFile(acc.authTokenFile) : acc.authToken,
    logLevel: acc.logLevel ?? 'info',
    stopTimeout: acc.stopTimeout ?? 30_000,
    retries: acc.retries ?? DEFAULT_RETRIES,
    retryDelay: acc.retryDelay ?? DEFAULT_RETRY_DELAY_MS,
    rsyncTimeout: acc.rsyncTimeout ?? 60,
    limits,
    tail: { ...DEFAULT_TAIL, ...acc.tail },
    errors: { ...DEFAULT_ERROR_SETTINGS, ...acc.errors } as ErrorSettings,
    retention: { ...DEFAULT_RETENTION, ...acc.retention } as RetentionSettings,
  }
  if (!isLoopback(host) && settings.authToken === undefined) {
    throw new ConfigError(`binding ${host} (not a loopback address) needs an auth token (LOGFERRY_TOKEN or authToken): the logs would be open to the network`, { key: 'host' })
  }
  return settings
}

/** The token in a file: its first line, surrounding blanks trimmed (`echo secret > file` works). */
function readTokenFile(path: string): string {
  let content: string
  try {
    content = readFileSync(path, 'utf8')
  } catch (err) {
    throw new ConfigError(`cannot read the token file ${path}: ${(err as Error).message}`, { key: 'authTokenFile', cause: err })
  }
  const token = (content.split(/\r?\n/)[0] ?? '').trim()
  if (token === '') throw new ConfigError(`the token file ${path} is empty`, { key: 'authTokenFile' })
  return token
}

/**
 * The limits, each key given or defaulted on its own (a partial `limits` object is the usual
 * case). A defaultLimit nobody wrote follows a smaller maxLimit down; one written above the
 * maxLimit is refused.
 */
export function resolveLimits(given: Partial<ServiceLimits> = {}): ServiceLimits {
  const pick = (k: keyof ServiceLimits): number | undefined => (typeof given[k] === 'number' && Number.isInteger(given[k]) && (given[k] as number) >= 1 ? given[k] : undefined)
  for (const k of Object.keys(given) as (keyof ServiceLimits)[]) {
    if (given[k] !== undefined && pick(k) === undefined) throw new ConfigError(`must be an integer of at least 1, got ${JSON.stringify(given[k])}`, { key: `limits.${k}` })
  }
  const maxTail = pick('maxTail') ?? DEFAULT_LIMITS.maxTail
  const maxLimit = pick('maxLimit') ?? DEFAULT_LIMITS.maxLimit
  const written = pick('defaultLimit')
  if (written !== undefined && written > maxLimit) throw new ConfigError(`defaultLimit ${written} is above maxLimit ${maxLimit}`, { key: 'limits.defaultLimit' })
  return { maxTail, maxLimit, defaultLimit: written ?? Math.min(DEFAULT_LIMITS.defaultLimit, maxLimit) }
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}
