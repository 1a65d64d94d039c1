/** `GET /metrics`: Prometheus text format. */
import { noQuerySchema } from '../schemas.js'
import { errorResponses, type RegisterRoutes } from '../context.js'

export const registerMetricsRoutes: RegisterRoutes = (app, { metrics }) => {
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        tags: ['service'],
        produces: ['text/plain'],
        querystring: noQuerySchema,
        response: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errorResponses([400, 401]) },
      },
    },
    async (_req, reply) => reply.type(metrics.contentType).send(await metrics.render()),
  )
}
