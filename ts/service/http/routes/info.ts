/** `GET /health`, `GET /status`, `GET /`. */
import { healthSchema, infoSchema, noQuerySchema, statusSchema } from '../schemas.js'
import { errorResponses, type RegisterRoutes } from '../context.js'

export const ENDPOINTS: { method: string; path: string; description: string }[] = [
  { method: 'GET', path: '/health', description: 'liveness; needs no token' },
  { method: 'GET', path: '/status', description: 'sync status per source, last sync, next sync' },
  { method: 'GET', path: '/', description: 'this list' },
  { method: 'POST', path: '/sync/trigger', description: 'start a sync or join the running one; ?wait=true waits for its result' },
  { method: 'GET', path: '/services', description: 'service categories with file counts' },
  { method: 'GET', path: '/services/stats', description: 'per category: files, bytes, oldest/newest mtime, error and warning counts' },
  { method: 'GET', path: '/errors', description: 'error events with file and line: ?service=&since=&limit=' },
  { method: 'GET', path: '/logs', description: 'log files: ?service=&limit=&offset=&since=&until=&name=&order=' },
  { method: 'GET', path: '/logs/content', description: 'a file content: ?path=&tail=|head=|offset=&length=&download=1' },
  { method: 'GET', path: '/search', description: 'matching lines, newest file first: ?q=&regex=&ignoreCase=&service=&path=&since=&until=&limit=&context=&cursor=; Accept: application/x-ndjson streams' },
  { method: 'GET', path: '/logs/stream', description: 'live tail of a file, SSE or WebSocket: ?path=&tail=; resumes with Last-Event-ID' },
  { method: 'POST', path: '/logs/stream/ticket', description: 'a ticket opening /logs/stream of one path without a header (browsers): ?path=' },
  { method: 'GET', path: '/metrics', description: 'Prometheus metrics' },
  { method: 'GET', path: '/openapi.json', description: 'OpenAPI 3 document' },
  { method: 'GET', path: '/docs', description: 'browsable API documentation' },
  { method: 'GET', path: '/ui/', description: 'web UI (its files need no token; the page asks for it)' },
]

export const registerInfoRoutes: RegisterRoutes = (app, { core }) => {
  app.get('/health', { schema: { summary: 'Liveness', tags: ['service'], response: { 200: healthSchema } } }, async () => ({ status: 'ok' as const }))

  app.get(
    '/status',
    { schema: { summary: 'Sync status', tags: ['service'], querystring: noQuerySchema, response: { 200: statusSchema, ...errorResponses([400, 401]) } } },
    async () => core.status(),
  )

  app.get(
    '/',
    { schema: { summary: 'Service information', tags: ['service'], querystring: noQuerySchema, response: { 200: infoSchema, ...errorResponses([400, 401]) } } },
    async () => ({ name: 'logferry' as const, version: core.version, docs: '/docs', openapi: '/openapi.json', endpoints: ENDPOINTS }),
  )
}
