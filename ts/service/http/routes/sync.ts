/** `POST /sync/trigger`: starts a sync or joins the running one (the core never runs two). */
import { triggerAcceptedSchema, triggerDoneSchema, triggerQuerySchema } from '../schemas.js'
import { errorResponses, type RegisterRoutes } from '../context.js'

export const registerSyncRoutes: RegisterRoutes = (app, { core }) => {
  app.post<{ Querystring: { wait?: boolean } }>(
    '/sync/trigger',
    {
      schema: {
        summary: 'Trigger a sync',
        description: '202 with the id of the sync started or joined; with ?wait=true, 200 with its result once done.',
        tags: ['sync'],
        querystring: triggerQuerySchema,
        response: { 200: triggerDoneSchema, 202: triggerAcceptedSchema, ...errorResponses([400, 401]) },
      },
    },
    async (req, reply) => {
      const t = core.triggerSync()
      if (req.query.wait !== true) {
        // Its outcome reaches /status and the logs; nobody waits on this promise.
        t.done.catch(() => undefined)
        return reply.code(202).send({ id: t.id, joined: t.joined, status: 'running' as const })
      }
      const result = await t.done
      return { id: t.id, joined: t.joined, status: 'done' as const, result }
    },
  )
}
