/**
 * The contract of `logferry serve`: the settings, the core the HTTP side (ts/service/http/) is
 * written against, and the shapes of status, sync results, categories and file entries.
 * Types only: importing this file loads nothing.
 */

import type { ErrorSettings } from './errors/classifier.js'
import type { RetentionSettings } from './retention/policy.js'

export type { ErrorRule, ErrorSettings } from './errors/classifier.js'
export type { RetentionPolicy, RetentionSettings } from './retention/policy.js'

/** How a source's files are fetched. */
export type SourceKind = 'rsync' | 'storage' | 'local'

/** What actually fetched them in the last sync ('sftp-fallback': rsync missing on a side). */
export type SyncMethod = 'rsync' | 'sftp-fallback' | 'storage' | 'local'

/** Host key policy for ssh: `yes` = only known hosts, `accept-new` = learn a new host once (TOFU). */
export type StrictHostKeyChecking = 'yes' | 'accept-new' | 'no'

export interface RsyncSourceSettings {
  name: string
  kind: 'rsync'
  host: string
  port: number
  user: string
  /** Private key file; without it ssh uses the agent / its defaults, or `password`. */
  identityFile?: string
  /** SSH password (env SSH_PASSWORD), given to ssh through `sshpass -e`, never on a command line. */
  password?: string
  /** Remote directory whose files are mirrored (default `REMOTE_BASE_PATH/logs/`). */
  remotePath: string
  /** known_hosts file ssh reads and (with accept-new) writes; default `<data>/.ssh/known_hosts`. */
  knownHostsFile?: string
  strictHostKeyChecking: StrictHostKeyChecking
}

export interface StorageSourceSettings {
  name: string
  kind: 'storage'
  /** Any URL the storage layer takes: sftp://, s3://, gs://, azure, webhdfs://, a local path. */
  url: string
}

export interface LocalSourceSettings {
  name: string
  kind: 'local'
  /** Local directory (default `./logs`, created if missing). */
  path: string
}

export type SourceSettings = RsyncSourceSettings | StorageSourceSettings | LocalSourceSettings

/** One categorisation rule: a file whose name matches `pattern` belongs to `category`. */
export interface CategoryRule {
  category: string
  /** substring: case-insensitive substring of the file name; glob: on the name; regex: on the name (flag i). */
  match: 'substring' | 'glob' | 'regex'
  pattern: string
}

export interface ServiceLimits {
  /** Largest `tail`/`head` (lines) a request may ask for. */
  maxTail: number
  /** Largest `limit` of `GET /logs`. */
  maxLimit: number
  /** `limit` of `GET /logs` when the request gives none. */
  defaultLimit: number
}

/** Live tail (`GET /logs/stream`, docs/tail.md). */
export interface TailSettings {
  /** Streams open at once, all files together; one more is a 503. */
  maxClients: number
  /** A stream is ended after this long (ms; an SSE client reconnects and resumes). */
  maxDuration: number
  /** Lines (and bytes) a client's buffer holds; what does not fit is dropped and counted. */
  bufferLines: number
  bufferBytes: number
  /** Poll period (ms): what fs.watch cannot see (network file systems) is seen this late at worst. */
  pollInterval: number
  /** fs.watch the followed files' directories (false: poll only). */
  watch: boolean
  /** A client that has not taken any data for this long is disconnected (ms). */
  stallTimeout: number
  /** How long a stream ticket (for browsers, which cannot send a header) opens streams (ms). */
  ticketTtl: number
}

export type ServiceLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'

export interface ServiceSettings {
  /** Address the HTTP server binds (default 127.0.0.1). */
  host: string
  /** Port (default 8004; 0 = any free port). */
  port: number
  /** Data root (absolute): `<dataDir>/logs/<source>/...` and `<dataDir>/categorized/<category>/...`. */
  dataDir: string
  sources: SourceSettings[]
  /** In order, first match wins; a file matching none is `uncategorized`. */
  rules: CategoryRule[]
  /** Seconds between automatic syncs (0 = only on trigger). */
  syncInterval: number
  /** Bearer token every route but /health asks for (env LOGFERRY_TOKEN). */
  authToken?: string
  logLevel: ServiceLogLevel
  /** How long a stop waits for the running sync before aborting it (ms). */
  stopTimeout: number
  /** Retries of a transient sync failure within one sync (retry helper), and their base delay (ms). */
  retries: number
  retryDelay: number
  /** rsync `--timeout` (seconds of I/O silence before rsync gives up). */
  rsyncTimeout: number
  limits: ServiceLimits
  tail: TailSettings
  /** Error detection: built-in signatures on or off, configured rules, events kept per file. */
  errors: ErrorSettings
  /** Retention per category (`*`: every category without its own). */
  retention: RetentionSettings
}

export type SyncTrigger = 'start' | 'interval' | 'manual'

/** 'warning': done, with something worth knowing (rsync exit 24: files vanished during the sync). */
export type SyncOutcome = 'ok' | 'warning' | 'failed' | 'aborted'

export interface SyncErrorInfo {
  code: string
  message: string
}

export interface SourceSyncResult {
  name: string
  kind: SourceKind
  method: SyncMethod
  outcome: SyncOutcome
  error?: SyncErrorInfo
  /** Why an rsync source went over SFTP instead. */
  fallbackReason?: string
  warnings: string[]
  /** Files created or changed by this sync, and their bytes. */
  filesTransferred: number
  bytesTransferred: number
  /** Files removed from the mirror because they left the source. */
  filesDeleted: number
  /** Calls of the fetch (1 + retries used). */
  attempts: number
  startedAt: string
  finishedAt: string
  durationMs: number
}

export interface SyncResult {
  id: string
  trigger: SyncTrigger
  /** Worst outcome of its sources. */
  outcome: SyncOutcome
  startedAt: string
  finishedAt: string
  durationMs: number
  sources: SourceSyncResult[]
  filesTransferred: number
  bytesTransferred: number
  /** Files whose category link was (re)made. */
  filesCategorized: number
}

export interface SourceStatus {
  name: string
  kind: SourceKind
  /** Method of the last sync (before the first one: the one planned). */
  method: SyncMethod
  fallbackReason?: string
  lastSyncStart?: string
  lastSyncEnd?: string
  lastSyncDurationMs?: number
  lastOutcome?: SyncOutcome
  lastError?: SyncErrorInfo
  /** Of the last sync. */
  filesTransferred: number
  bytesTransferred: number
  /** Totals since the service started. */
  totalFilesTransferred: number
  totalBytesTransferred: number
  syncCount: number
  failureCount: number
  nextSyncAt?: string
}

export interface ServiceStatus {
  name: 'logferry'
  version: string
  startedAt: string
  uptimeSeconds: number
  dataDir: string
  syncInterval: number
  /** Id of the running sync, if one runs. */
  syncing: string | null
  syncCount: number
  lastSync?: SyncResult
  nextSyncAt?: string
  sources: SourceStatus[]
}

export interface CategoryInfo {
  name: string
  files: number
  bytes: number
  /** ISO times; null for an empty category. */
  oldestMtime: string | null
  newestMtime: string | null
  /** Error (and fatal) events, and warning lines, in its files (counted incrementally as files grow). */
  errors: number
  warnings: number
}

export interface ErrorQuery {
  service?: string
  /** Epoch ms: events at or after. */
  since?: number
  limit?: number
}

export interface ErrorEventEntry {
  service: string
  source: string
  /** Relative to the data root, as in FileEntry. */
  path: string
  sourcePath: string
  /** 1-based; a Python traceback: its first line. */
  line: number
  level: 'fatal' | 'error' | 'warn' | 'info' | 'debug'
  /** The configured rule or built-in signature (`cuda-oom`, `python-traceback`), null for a level alone. */
  signature: string | null
  text: string
  /** The line's own timestamp when it has one, else the file's mtime when scanned. */
  time: string
}

export interface ErrorList {
  total: number
  events: ErrorEventEntry[]
}

export interface FileEntry {
  /** Category. */
  service: string
  /** Source it came from. */
  source: string
  /** File name (last path segment). */
  name: string
  /** Relative to the data root, `/`-separated: `categorized/<service>/<path in source>`. */
  path: string
  /** Relative to the source root (`a/b.log`). */
  sourcePath: string
  size: number
  mtime: string
  mtimeMs: number
}

export interface FileQuery {
  service?: string
  /** Default limits.defaultLimit; the caller validates it against limits.maxLimit. */
  limit?: number
  offset?: number
  /** Epoch ms, by mtime: since inclusive, until exclusive. */
  since?: number
  until?: number
  /** Glob on the file name. */
  name?: string
  /** Default 'newest'. */
  order?: 'newest' | 'oldest'
}

export interface FileList {
  /** Matches before offset/limit. */
  total: number
  files: FileEntry[]
}

export interface TriggeredSync {
  id: string
  /** True when a sync was already running and this trigger joined it. */
  joined: boolean
  done: Promise<SyncResult>
}

/** Structured log lines (JSON through logferry's own Logger). */
export interface ServiceLog {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
}

export interface SyncStartEvent {
  id: string
  trigger: SyncTrigger
  startedAt: string
}

/** What the HTTP side is written against. */
export interface LogsServiceCore {
  readonly settings: ServiceSettings
  readonly version: string
  readonly dataDir: string
  /** `<dataDir>/logs` */
  readonly logsDir: string
  /** `<dataDir>/categorized` */
  readonly categorizedDir: string
  readonly log: ServiceLog
  status(): ServiceStatus
  /** Starts a sync, or joins the running one (never two at once). */
  triggerSync(): TriggeredSync
  /** Every configured category plus `uncategorized`, in rule order, with what they hold now. */
  categories(): CategoryInfo[]
  files(query?: FileQuery): FileList
  /** Error events, newest first. */
  errors(query?: ErrorQuery): ErrorList
  on(event: 'sync', listener: (r: SyncResult) => void): this
  on(event: 'syncStart', listener: (e: SyncStartEvent) => void): this
  off(event: 'sync', listener: (r: SyncResult) => void): this
  off(event: 'syncStart', listener: (e: SyncStartEvent) => void): this
}

/** ts/service/http/server.ts exports `createHttpServer` of this type. */
export type CreateHttpServer = (core: LogsServiceCore, settings: ServiceSettings) => HttpServer

export interface HttpServer {
  /** Binds settings.host:settings.port; resolves with the URL (`http://127.0.0.1:8004`). */
  listen(): Promise<string>
  /** Stops accepting, finishes requests in flight. */
  close(): Promise<void>
}

export interface LogsService {
  readonly core: LogsServiceCore
  /** Set once start() resolved. */
  readonly url: string | undefined
  start(): Promise<void>
  stop(): Promise<void>
}
