/** `GET /errors`: error events found in the files (ts/service/errors/), newest first. */
import { badParam } from '../errors.js'
import { parseTime } from '../params.js'
import { errorListSchema, errorsQuerySchema } from '../schemas.js'
import { errorResponses, type RegisterRoutes } from '../context.js'

interface ErrorsQuery {
  service?: string
  since?: string
  limit: number
}

export const registerErrorRoutes: RegisterRoutes = (app, { core, settings }) => {
  app.get<{ Querystring: ErrorsQuery }>(
    '/errors',
    {
      schema: {
        summary: 'Error events (levels and built-in signatures) with their file and line',
        tags: ['logs'],
        querystring: errorsQuerySchema(settings.limits),
        response: { 200: errorListSchema, ...errorResponses([400, 401]) },
      },
    },
    async (req) => {
      const q = req.query
      if (q.service !== undefined && !core.categories().some((c) => c.name === q.service))
        throw badParam('service', `unknown service ${JSON.stringify(q.service)} (see GET /services)`)
      const since = q.since === undefined ? undefined : parseTime('since', q.since)
      const list = core.errors({ service: q.service, since, limit: q.limit })
      return { total: list.total, limit: q.limit, events: list.events }
    },
  )
}
