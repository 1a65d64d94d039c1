/** `GET /services`, `GET /services/stats`. */
import { noQuerySchema, serviceStatsSchema, servicesSchema } from '../schemas.js'
import { errorResponses, type RegisterRoutes } from '../context.js'

export const registerServiceRoutes: RegisterRoutes = (app, { core }) => {
  app.get(
    '/services',
    { schema: { summary: 'Service categories', tags: ['logs'], querystring: noQuerySchema, response: { 200: servicesSchema, ...errorResponses([400, 401]) } } },
    async () => ({ services: core.categories().map((c) => ({ name: c.name, files: c.files })) }),
  )
  app.get(
    '/services/stats',
    { schema: { summary: 'Statistics per category', tags: ['logs'], querystring: noQuerySchema, response: { 200: serviceStatsSchema, ...errorResponses([400, 401]) } } },
    async () => ({ services: core.categories() }),
  )
}
