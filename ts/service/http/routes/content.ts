/**
 * `GET /logs/content`: one file's content, through the path guard. Modes: whole (default),
 * `tail=N`, `head=N`, `offset`/`length` bytes; one at a time. `download=1` adds a
 * Content-Disposition. Always text/plain with nosniff: a log line is never rendered as HTML.
 */
import { basename } from 'node:path'
import { badParam } from '../errors.js'
import { decodedName, openContent, type Selection } from '../content.js'
import { openServedFile } from '../path-guard.js'
import { contentQuerySchema, textResponse } from '../schemas.js'
import { errorResponses, type RegisterRoutes } from '../context.js'

interface ContentQuery {
  path: string
  tail?: number
  head?: number
  offset?: number
  length?: number
  download?: '0' | '1' | 'true' | 'false'
}

/** Most bytes of a compressed file's tail held while decoding it. */
const MAX_TAIL_BYTES = 64 * 1024 * 1024

function selection(q: ContentQuery): Selection {
  const modes = [q.tail !== undefined && 'tail', q.head !== undefined && 'head', (q.offset !== undefined || q.length !== undefined) && 'offset/length'].filter(
    (m): m is string => typeof m === 'string',
  )
  if (modes.length > 1) throw badParam(modes[1] === 'offset/length' ? 'offset' : (modes[1] as string), `cannot be combined with ${modes[0]}`)
  if (q.tail !== undefined) return { kind: 'tail', lines: q.tail }
  if (q.head !== undefined) return { kind: 'head', lines: q.head }
  if (q.offset !== undefined || q.length !== undefined) return { kind: 'range', offset: q.offset ?? 0, length: q.length ?? Number.POSITIVE_INFINITY }
  return { kind: 'all' }
}

/** RFC 6266 filename: an ASCII fallback and the UTF-8 name. */
function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`
}

export const registerContentRoutes: RegisterRoutes = (app, { settings, roots }) => {
  app.get<{ Querystring: ContentQuery }>(
    '/logs/content',
    {
      schema: {
        summary: 'File content',
        description:
          'path is relative to the data root (categorized/<service>/... or logs/<source>/...). .gz and .zst are decoded. tail=N equals GNU tail -n N.',
        tags: ['logs'],
        querystring: contentQuerySchema(settings.limits),
        produces: ['text/plain'],
        response: { 200: textResponse, ...errorResponses([400, 401, 403, 404, 413, 422]) },
      },
    },
    async (req, reply) => {
      const q = req.query
      const sel = selection(q)
      const file = await openServedFile(roots, q.path)
      const name = basename(file.realPath)
      let body
      try {
        body = await openContent(file, name, sel, { maxTailBytes: MAX_TAIL_BYTES })
      } catch (err) {
        await file.handle.close().catch(() => undefined)
        throw err
      }
      reply.header('content-type', 'text/plain; charset=utf-8')
      reply.header('x-content-type-options', 'nosniff')
      reply.header('cache-control', 'no-store')
      reply.header('x-logferry-path', encodeURI(file.relPath))
      if (q.download === '1' || q.download === 'true') reply.header('content-disposition', contentDisposition(decodedName(name)))
      return reply.send(body)
    },
  )
}
