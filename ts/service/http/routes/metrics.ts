/** `GET /metrics`: Prometheus text format. */
import { errorResponses, type RegisterRoutes } from '../context.js'

export const registerMetricsRoutes: RegisterRoutes = (app, { metrics }) => {
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        tags: ['service'],
        produces: ['text/plain'],
        response: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errorResponses([401]) },
      },
    },
    async (_req, reply) => reply.type(metrics.contentType).send(await metrics.render()),
  )
}
