/**
 * `GET /openapi.json` (OpenAPI 3, generated from the routes' schemas by @fastify/swagger) and
 * `GET /docs` (@fastify/swagger-ui, whose assets ship in the package: works offline).
 * Registered before the routes so that it sees them all.
 */
import type { FastifyInstance } from 'fastify'
import type { RouteContext } from '../context.js'

export async function registerDocsRoutes(app: FastifyInstance, { core, settings }: RouteContext): Promise<void> {
  const { default: swagger } = await import('@fastify/swagger')
  const { default: swaggerUi } = await import('@fastify/swagger-ui')
  const withToken = settings.authToken !== undefined && settings.authToken.length > 0
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'logferry serve',
        version: core.version,
        description: 'Logs synced from remote hosts, sorted into service categories. Errors: { error: { code, message } }.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: withToken ? [{ bearer: [] }] : [],
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  })
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' }, staticCSP: true })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}
