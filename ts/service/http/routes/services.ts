/** `GET /services`, `GET /services/stats`. */
import { serviceStatsSchema, servicesSchema } from '../schemas.js'
import { errorResponses, type RegisterRoutes } from '../context.js'

export const registerServiceRoutes: RegisterRoutes = (app, { core }) => {
  app.get(
    '/services',
    { schema: { summary: 'Service categories', tags: ['logs'], response: { 200: servicesSchema, ...errorResponses([401]) } } },
    async () => ({ services: core.categories().map((c) => ({ name: c.name, files: c.files })) }),
  )
  app.get(
    '/services/stats',
    { schema: { summary: 'Statistics per category', tags: ['logs'], response: { 200: serviceStatsSchema, ...errorResponses([401]) } } },
    async () => ({ services: core.categories() }),
  )
}
