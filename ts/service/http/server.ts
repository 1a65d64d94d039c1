/**
 * The HTTP side of `logferry serve`: a Fastify 5 server over a LogsServiceCore. Fastify,
 * @fastify/swagger(-ui) and prom-client are imported when the server starts listening, never
 * at `import 'logferry'`. The bind policy is checked when the server is created, before anything
 * binds: a non-loopback address without a token is a ConfigError.
 */
import type { FastifyInstance } from 'fastify'
import type { AddressInfo } from 'node:net'
import type { CreateHttpServer, HttpServer, LogsServiceCore, ServiceSettings } from '../types.js'
import { bearerChecker, checkBindPolicy } from './auth.js'
import type { RouteContext } from './context.js'
import { badParam, errorBody, errorHandler, notFoundHandler, toApiError } from './errors.js'
import { createMetrics } from './metrics.js'
import { servedRoots } from './path-guard.js'
import { registerContentRoutes } from './routes/content.js'
import { registerDocsRoutes } from './routes/docs.js'
import { registerErrorRoutes } from './routes/errors.js'
import { registerInfoRoutes } from './routes/info.js'
import { registerLogsRoutes } from './routes/logs.js'
import { registerMetricsRoutes } from './routes/metrics.js'
import { registerSearchRoutes } from './routes/search.js'
import { registerServiceRoutes } from './routes/services.js'
import { registerStreamRoutes } from './routes/stream.js'
import { registerSyncRoutes } from './routes/sync.js'
import { registerUiRoutes, UI_ROUTES } from './routes/ui.js'
import { errorSchema } from './schemas.js'

/** Routes reachable without a token. */
const OPEN_ROUTES = new Set<string>(['/health', ...UI_ROUTES])

async function build(core: LogsServiceCore, settings: ServiceSettings): Promise<{ app: FastifyInstance; ctx: RouteContext }> {
  const { default: Fastify } = await import('fastify')
  const app = Fastify({
    logger: false,
    bodyLimit: 64 * 1024,
    requestTimeout: 120_000,
    connectionTimeout: 0,
    keepAliveTimeout: 5_000,
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    ajv: {
      // Unknown query parameters are refused (naming them), not dropped; one value per parameter.
      customOptions: { removeAdditional: false, coerceTypes: true, useDefaults: true, allErrors: false },
    },
  })
  const roots = await servedRoots({ logs: core.logsDir, categorized: core.categorizedDir })
  const metrics = await createMetrics(core)
  const ctx: RouteContext = { core, settings, roots, metrics }

  app.addSchema({ $id: 'apiError', ...errorSchema })
  app.setErrorHandler(errorHandler(core.log))
  app.setNotFoundHandler(notFoundHandler)

  const token = settings.authToken
  if (token !== undefined && token.length > 0) {
    const check = bearerChecker(token)
    app.addHook('onRequest', async (req) => {
      if (OPEN_ROUTES.has(req.routeOptions.url ?? '')) return
      // A route that checks for itself (the live tail also takes a stream ticket).
      if ((req.routeOptions.config as { ownAuth?: boolean } | undefined)?.ownAuth === true) return
      check(req.headers.authorization)
    })
  }
  // Ajv coerces a 400-digit number to Infinity and lets it through; every number of this API
  // is a count or an offset.
  app.addHook('preHandler', async (req) => {
    for (const [k, v] of Object.entries((req.query ?? {}) as Record<string, unknown>))
      if (typeof v === 'number' && !Number.isSafeInteger(v)) throw badParam(k, 'must be an integer below 2^53')
  })
  app.addHook('onResponse', async (req, reply) => {
    metrics.observeRequest(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000)
  })

  await registerDocsRoutes(app, ctx)
  registerInfoRoutes(app, ctx)
  registerSyncRoutes(app, ctx)
  registerServiceRoutes(app, ctx)
  registerLogsRoutes(app, ctx)
  registerErrorRoutes(app, ctx)
  registerContentRoutes(app, ctx)
  registerSearchRoutes(app, ctx)
  await registerStreamRoutes(app, ctx)
  registerMetricsRoutes(app, ctx)
  registerUiRoutes(app, ctx)
  app.addHook('onClose', async () => metrics.dispose())
  // A malformed request line or header is answered in the API's error shape.
  app.server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy()
    const api = toApiError(Object.assign(err, { statusCode: 400 }))
    const body = JSON.stringify(errorBody(api.code, 'malformed request'))
    socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`)
  })
  await app.ready()
  return { app, ctx }
}

export const createHttpServer: CreateHttpServer = (core, settings): HttpServer => {
  checkBindPolicy(settings.host, settings.authToken)
  let app: FastifyInstance | undefined
  return {
    async listen() {
      if (app !== undefined) throw new Error('the HTTP server is already listening')
      const built = await build(core, settings)
      app = built.app
      await app.listen({ host: settings.host, port: settings.port })
      const a = app.server.address() as AddressInfo
      const host = a.family === 'IPv6' ? `[${a.address}]` : a.address
      return `http://${host}:${a.port}`
    },
    async close() {
      const a = app
      app = undefined
      if (a === undefined) return
      // Requests in flight may finish (a long download included) for stopTimeout, then are cut.
      const cut = setTimeout(() => a.server.closeAllConnections(), settings.stopTimeout)
      try {
        await a.close()
      } finally {
        clearTimeout(cut)
      }
    },
  }
}
