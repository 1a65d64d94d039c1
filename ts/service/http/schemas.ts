/**
 * JSON Schemas of every request and response of the API (plain JSON Schema, the source of both
 * Fastify's validation/serialisation and the OpenAPI document at /openapi.json). The response
 * schemas follow ts/service/types.ts; Fastify serialises with them, so a field missing here is
 * missing from the answer.
 */
import type { ServiceLimits } from '../types.js'

type Schema = Record<string, unknown>

const str = { type: 'string' } as const
const int = { type: 'integer' } as const
const num = { type: 'number' } as const
const bool = { type: 'boolean' } as const
const time = { type: 'string', format: 'date-time' } as const
const nullableTime = { type: 'string', format: 'date-time', nullable: true } as const

function obj(properties: Record<string, Schema>, required: string[] = Object.keys(properties)): Schema {
  return { type: 'object', properties, required, additionalProperties: false }
}

export const errorSchema = obj({
  error: obj({ code: str, message: str, param: str }, ['code', 'message']),
})

const errorInfo = obj({ code: str, message: str })
const outcome = { type: 'string', enum: ['ok', 'warning', 'failed', 'aborted'] }
const kind = { type: 'string', enum: ['rsync', 'storage', 'local'] }
const method = { type: 'string', enum: ['rsync', 'sftp-fallback', 'storage', 'local'] }

export const sourceSyncResultSchema = obj(
  {
    name: str,
    kind,
    method,
    outcome,
    error: errorInfo,
    fallbackReason: str,
    warnings: { type: 'array', items: str },
    filesTransferred: int,
    bytesTransferred: int,
    filesDeleted: int,
    attempts: int,
    startedAt: time,
    finishedAt: time,
    durationMs: num,
  },
  ['name', 'kind', 'method', 'outcome', 'warnings', 'filesTransferred', 'bytesTransferred', 'filesDeleted', 'attempts', 'startedAt', 'finishedAt', 'durationMs'],
)

export const syncResultSchema = obj({
  id: str,
  trigger: { type: 'string', enum: ['start', 'interval', 'manual'] },
  outcome,
  startedAt: time,
  finishedAt: time,
  durationMs: num,
  sources: { type: 'array', items: sourceSyncResultSchema },
  filesTransferred: int,
  bytesTransferred: int,
  filesCategorized: int,
})

const sourceStatusSchema = obj(
  {
    name: str,
    kind,
    method,
    fallbackReason: str,
    lastSyncStart: time,
    lastSyncEnd: time,
    lastSyncDurationMs: num,
    lastOutcome: outcome,
    lastError: errorInfo,
    filesTransferred: int,
    bytesTransferred: int,
    totalFilesTransferred: int,
    totalBytesTransferred: int,
    syncCount: int,
    failureCount: int,
    nextSyncAt: time,
  },
  ['name', 'kind', 'method', 'filesTransferred', 'bytesTransferred', 'totalFilesTransferred', 'totalBytesTransferred', 'syncCount', 'failureCount'],
)

export const statusSchema = obj(
  {
    name: { type: 'string', enum: ['logferry'] },
    version: str,
    startedAt: time,
    uptimeSeconds: num,
    dataDir: str,
    syncInterval: num,
    syncing: { type: 'string', nullable: true },
    syncCount: int,
    lastSync: syncResultSchema,
    nextSyncAt: time,
    sources: { type: 'array', items: sourceStatusSchema },
  },
  ['name', 'version', 'startedAt', 'uptimeSeconds', 'dataDir', 'syncInterval', 'syncing', 'syncCount', 'sources'],
)

export const healthSchema = obj({ status: { type: 'string', enum: ['ok'] } })

export const infoSchema = obj({
  name: { type: 'string', enum: ['logferry'] },
  version: str,
  docs: str,
  openapi: str,
  endpoints: { type: 'array', items: obj({ method: str, path: str, description: str }) },
})

export const triggerAcceptedSchema = obj({ id: str, joined: bool, status: { type: 'string', enum: ['running'] } })
export const triggerDoneSchema = obj({ id: str, joined: bool, status: { type: 'string', enum: ['done'] }, result: syncResultSchema })

export const triggerQuerySchema = obj({ wait: bool }, [])

/** The query of a route that takes no parameters: any given is an unknown one (400). */
export const noQuerySchema = obj({}, [])

export const servicesSchema = obj({
  services: { type: 'array', items: obj({ name: str, files: int }) },
})

export const serviceStatsSchema = obj({
  services: {
    type: 'array',
    items: obj({ name: str, files: int, bytes: int, oldestMtime: nullableTime, newestMtime: nullableTime, errors: int, warnings: int }),
  },
})

const fileEntrySchema = obj({
  service: str,
  source: str,
  name: str,
  path: str,
  sourcePath: str,
  size: int,
  mtime: time,
  mtimeMs: num,
})

export const fileListSchema = obj({
  total: int,
  offset: int,
  limit: int,
  files: { type: 'array', items: fileEntrySchema },
})

/** `GET /logs` query; the limits come from the settings. */
export function logsQuerySchema(limits: ServiceLimits): Schema {
  return obj(
    {
      service: { type: 'string', minLength: 1, maxLength: 200, description: 'category name (see /services)' },
      limit: { type: 'integer', minimum: 0, maximum: limits.maxLimit, default: limits.defaultLimit },
      offset: { type: 'integer', minimum: 0, maximum: 1e9, default: 0 },
      since: { type: 'string', maxLength: 64, description: 'ISO 8601 or epoch (s, ms, us or ns); mtime >= since' },
      until: { type: 'string', maxLength: 64, description: 'ISO 8601 or epoch; mtime < until' },
      name: { type: 'string', minLength: 1, maxLength: 512, description: 'glob on the file name' },
      order: { type: 'string', enum: ['newest', 'oldest'], default: 'newest' },
    },
    [],
  )
}

/** `GET /logs/content` query. */
export function contentQuerySchema(limits: ServiceLimits): Schema {
  return obj(
    {
      path: { type: 'string', minLength: 1, maxLength: 4096, description: 'relative to the data root: categorized/<service>/... or logs/<source>/...' },
      tail: { type: 'integer', minimum: 0, maximum: limits.maxTail, description: 'last N lines (as GNU tail -n N)' },
      head: { type: 'integer', minimum: 0, maximum: limits.maxTail, description: 'first N lines (as GNU head -n N)' },
      offset: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'first byte of the (decoded) content' },
      length: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'bytes from offset' },
      download: { type: 'string', enum: ['0', '1', 'true', 'false'], description: '1: Content-Disposition attachment' },
    },
    ['path'],
  )
}

export const textResponse = {
  description: 'the (decoded) file content, streamed',
  content: { 'text/plain': { schema: { type: 'string' } } },
}

/** `GET /logs/stream` query (docs/tail.md). */
export function streamQuerySchema(limits: ServiceLimits): Schema {
  return obj(
    {
      path: { type: 'string', minLength: 1, maxLength: 4096, description: 'relative to the data root, as for /logs/content' },
      tail: { type: 'integer', minimum: 0, maximum: limits.maxTail, default: 10, description: 'last N lines sent first' },
      lastEventId: { type: 'string', maxLength: 64, description: 'resume after this event id (as the Last-Event-ID header)' },
      ticket: { type: 'string', maxLength: 128, description: 'stream ticket (POST /logs/stream/ticket), for clients that cannot send Authorization' },
    },
    ['path'],
  )
}

export const ticketQuerySchema = obj({ path: { type: 'string', minLength: 1, maxLength: 4096 } })
export const ticketSchema = obj({ ticket: str, expiresAt: time })

/** `GET /errors` query. */
export function errorsQuerySchema(limits: ServiceLimits): Schema {
  return obj(
    {
      service: { type: 'string', minLength: 1, maxLength: 200, description: 'category name (see /services)' },
      since: { type: 'string', maxLength: 64, description: "ISO 8601 or epoch (s, ms, us or ns); the event's time >= since" },
      limit: { type: 'integer', minimum: 0, maximum: limits.maxLimit, default: limits.defaultLimit },
    },
    [],
  )
}

const nullableStr = { type: 'string', nullable: true } as const

export const errorListSchema = obj({
  total: int,
  limit: int,
  events: {
    type: 'array',
    items: obj({
      service: str,
      source: str,
      path: str,
      sourcePath: str,
      line: int,
      level: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug'] },
      signature: nullableStr,
      text: str,
      time,
    }),
  },
})

const flag = { type: 'string', enum: ['0', '1', 'true', 'false'] } as const

/** `GET /search` query. */
export function searchQuerySchema(): Schema {
  return obj(
    {
      q: { type: 'string', minLength: 1, maxLength: 4096, description: 'text to find (a regular expression with regex=1)' },
      regex: { ...flag, description: '1: q is a regular expression (Rust regex syntax, as ripgrep)' },
      ignoreCase: { ...flag, description: '1: Unicode case-insensitive' },
      service: { type: 'string', minLength: 1, maxLength: 200, description: 'category name (see /services)' },
      path: { type: 'string', minLength: 1, maxLength: 4096, description: 'a file or directory under the data root (logs/... or categorized/...)' },
      since: { type: 'string', maxLength: 64, description: 'files modified at or after (ISO 8601 or epoch)' },
      until: { type: 'string', maxLength: 64, description: 'files modified before' },
      limit: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 100, description: 'most matches (a JSON page: at most 10000)' },
      context: { type: 'integer', minimum: 0, maximum: 20, default: 0, description: 'lines before and after each match' },
      cursor: { type: 'string', minLength: 1, maxLength: 8192, description: 'the cursor of the previous page (same query)' },
    },
    ['q'],
  )
}

const searchMatchSchema = obj(
  { path: str, lineNumber: int, offset: int, line: str, before: { type: 'array', items: str }, after: { type: 'array', items: str } },
  ['path', 'lineNumber', 'offset', 'line'],
)

export const searchPageSchema = obj({
  matches: { type: 'array', items: searchMatchSchema },
  cursor: nullableStr,
  errors: { type: 'array', items: obj({ path: str, code: str, message: str }) },
})
