/** `GET /logs`: the files the core knows, filtered, newest first by default. */
import { badParam } from '../errors.js'
import { ListingCache } from '../listing-cache.js'
import { checkNameGlob, parseTime } from '../params.js'
import { fileListSchema, logsQuerySchema } from '../schemas.js'
import { errorResponses, type RegisterRoutes } from '../context.js'

interface LogsQuery {
  service?: string
  limit: number
  offset: number
  since?: string
  until?: string
  name?: string
  order: 'newest' | 'oldest'
}

export const registerLogsRoutes: RegisterRoutes = (app, { core, settings }) => {
  const cache = new ListingCache(core)
  app.addHook('onClose', async () => cache.dispose())
  app.get<{ Querystring: LogsQuery }>(
    '/logs',
    {
      schema: {
        summary: 'List log files',
        tags: ['logs'],
        querystring: logsQuerySchema(settings.limits),
        response: { 200: fileListSchema, ...errorResponses([400, 401]) },
      },
    },
    async (req, reply) => {
      const q = req.query
      if (q.service !== undefined && !core.categories().some((c) => c.name === q.service))
        throw badParam('service', `unknown service ${JSON.stringify(q.service)} (see GET /services)`)
      const since = q.since === undefined ? undefined : parseTime('since', q.since)
      const until = q.until === undefined ? undefined : parseTime('until', q.until)
      if (since !== undefined && until !== undefined && until < since) throw badParam('until', 'is before since')
      const name = q.name === undefined ? undefined : checkNameGlob(q.name)
      const query = { service: q.service, limit: q.limit, offset: q.offset, since, until, name, order: q.order }
      const json = cache.get(JSON.stringify(query), () => {
        const list = core.files(query)
        return String(reply.serialize({ total: list.total, offset: q.offset, limit: q.limit, files: list.files }))
      })
      // A string is sent as it is: the answer was serialised with the route's schema above.
      return reply.type('application/json; charset=utf-8').send(json)
    },
  )
}
