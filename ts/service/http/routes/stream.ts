/**
 * `GET /logs/stream?path=&tail=`: live tail of one file (docs/tail.md), as Server-Sent Events
 * (`Accept: text/event-stream`) or over a WebSocket (same URL, upgraded). Sends the last `tail`
 * lines, then every line appended; follows rotation by name, reports truncation and lines a
 * slow client dropped. Resumes after `Last-Event-ID` (header, or `lastEventId=`) exactly.
 * `.gz`/`.zst` files are sent their last lines, then the stream ends (they do not grow).
 *
 * Auth: the bearer token as everywhere, or a stream ticket (`POST /logs/stream/ticket`) for
 * browsers, which cannot send a header on EventSource or WebSocket.
 */
import { basename } from 'node:path'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { WebSocket } from 'ws'
import { bearerChecker } from '../auth.js'
import { compressionOf, openContent } from '../content.js'
import type { RouteContext } from '../context.js'
import { errorResponses } from '../context.js'
import { ApiError, badParam, errorBody, toApiError } from '../errors.js'
import { openServedFile, type OpenedFile } from '../path-guard.js'
import { streamQuerySchema, ticketQuerySchema, ticketSchema } from '../schemas.js'
import { parsePosition } from '../../tail/content-mark.js'
import { FollowerPool, type StartAt } from '../../tail/follower-pool.js'
import { SseTransport } from '../../tail/sse-transport.js'
import { createTicketIssuer } from '../../tail/stream-ticket.js'
import { TailClient } from '../../tail/tail-client.js'
import type { TailTransport } from '../../tail/tail-transport.js'
import { WsTransport } from '../../tail/ws-transport.js'

interface StreamQuery {
  path: string
  tail: number
  lastEventId?: string
  ticket?: string
}

/** Most bytes of a compressed file's tail held while decoding it (as /logs/content). */
const MAX_TAIL_BYTES = 64 * 1024 * 1024

/** What the preHandler found for the handler: the opened file and where to start. */
interface Prepared {
  file: OpenedFile
  start: StartAt
}

export async function registerStreamRoutes(app: FastifyInstance, { settings, roots, core, metrics }: RouteContext): Promise<void> {
  const { default: websocket } = await import('@fastify/websocket')
  await app.register(websocket, { options: { maxPayload: 4096 } })
  const limits = settings.tail
  const pool = new FollowerPool({ pollInterval: limits.pollInterval, watch: limits.watch })
  const tickets = createTicketIssuer(limits.ticketTtl)
  const clients = new Set<TailClient>()
  const prepared = new WeakMap<FastifyRequest, Prepared>()
  const token = settings.authToken
  const bearer = token !== undefined && token.length > 0 ? bearerChecker(token) : undefined
  let droppedBefore = 0
  metrics.addCollected('gauge', 'logferry_tail_clients', 'Live tail streams open', () => clients.size)
  metrics.addCollected('gauge', 'logferry_tail_files', 'Files followed for live tail streams', () => pool.files)
  metrics.addCollected('gauge', 'logferry_tail_held_bytes', "Bytes the live tail streams' clients make the server hold (their buffers and their sockets' queues)", () => {
    let n = 0
    for (const c of clients) n += c.heldBytes
    return n
  })
  metrics.addCollected('counter', 'logferry_tail_dropped_lines_total', 'Lines dropped for live tail clients that did not keep up', () => {
    let n = droppedBefore
    for (const c of clients) n += c.totalDropped
    return n
  })

  /** Starts `transport`'s client on the prepared file; errors after this point end the stream. */
  async function run(transport: TailTransport, p: Prepared, opened: () => void): Promise<void> {
    const client = new TailClient(transport, limits)
    clients.add(client)
    client.onClosed(() => {
      clients.delete(client)
      droppedBefore += client.totalDropped
    })
    const name = basename(p.file.realPath)
    if (compressionOf(name) !== null) {
      const content = await openContent(p.file, name, { kind: 'tail', lines: p.start.kind === 'tail' ? p.start.lines : 0 }, { maxTailBytes: MAX_TAIL_BYTES }).catch((err: unknown) => {
        client.close()
        throw err
      })
      opened()
      await client.sendStatic(content, 'compressed')
      return
    }
    await p.file.handle.close()
    let joined
    try {
      joined = await pool.join(p.file.realPath, client, p.start)
    } catch (err) {
      client.close()
      throw err
    }
    client.onClosed(() => void joined.leave())
    opened()
    await client.start(joined)
  }

  app.addHook('preClose', async () => {
    for (const c of [...clients]) c.end({ type: 'end', reason: 'closing' })
    await pool.close()
  })

  app.route<{ Querystring: StreamQuery }, { ownAuth: boolean }>({
    method: 'GET',
    url: '/logs/stream',
    // The server's bearer hook lets this route check for itself: a ticket also opens it.
    config: { ownAuth: true },
    schema: {
      summary: 'Live tail of a file (SSE or WebSocket)',
      description:
        'Accept: text/event-stream for Server-Sent Events, or a WebSocket upgrade. Events: lines {id, lines}, dropped {count}, rotated, truncated {size}, gap, end {reason}. Resume with Last-Event-ID. See docs/tail.md.',
      tags: ['logs'],
      querystring: streamQuerySchema(settings.limits),
      produces: ['text/event-stream'],
      response: {
        200: { description: 'an event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
        ...errorResponses([400, 401, 403, 404, 406, 503]),
      },
    },
    onRequest: async (req) => {
      if (bearer === undefined) return
      const q = req.query as Partial<StreamQuery>
      if (typeof q.ticket === 'string' && typeof q.path === 'string') {
        if (!tickets.check(q.ticket, q.path)) throw new ApiError(401, 'ERR_UNAUTHORIZED', 'ticket: invalid, expired, or for another path')
        return
      }
      bearer(req.headers.authorization)
    },
    preHandler: async (req) => {
      const ws = req.ws
      if (!ws && !/\btext\/event-stream\b/.test(req.headers.accept ?? ''))
        throw new ApiError(406, 'ERR_NOT_ACCEPTABLE', 'ask with Accept: text/event-stream, or upgrade to a WebSocket')
      const q = req.query
      const header = req.headers['last-event-id']
      const rawId = (typeof header === 'string' && header !== '' ? header : undefined) ?? q.lastEventId
      let start: StartAt = { kind: 'tail', lines: q.tail }
      if (rawId !== undefined && rawId !== '') {
        const pos = parsePosition(rawId)
        if (pos === undefined) throw badParam('lastEventId', `not an event id of this stream: ${JSON.stringify(rawId.slice(0, 64))}`)
        start = { kind: 'resume', ...pos }
      }
      if (clients.size >= limits.maxClients)
        throw new ApiError(503, 'ERR_TOO_MANY_STREAMS', `${limits.maxClients} streams are open (tail.maxClients); try again later`)
      prepared.set(req, { file: await openServedFile(roots, q.path), start })
    },
    handler: async (req, reply) => {
      const p = prepared.get(req) as Prepared
      const transport = new SseTransport(reply.raw)
      reply.hijack()
      try {
        await run(transport, p, () => transport.open())
      } catch (err) {
        if (!reply.raw.headersSent) {
          const api = toApiError(err)
          if (api.statusCode >= 500) core.log.error('stream failed', { path: req.query.path, error: (err as Error).message })
          reply.raw.writeHead(api.statusCode, { 'content-type': 'application/json; charset=utf-8' })
          reply.raw.end(JSON.stringify(errorBody(api.code, api.message, api.param)))
        } else reply.raw.end()
      }
    },
    wsHandler: (socket: WebSocket, req) => {
      const p = prepared.get(req) as Prepared
      const transport = new WsTransport(socket)
      run(transport, p, () => undefined).catch((err: unknown) => {
        core.log.error('stream failed', { path: req.query.path, error: (err as Error).message })
        if (socket.readyState === socket.OPEN) {
          socket.send(JSON.stringify({ type: 'end', reason: 'failed', message: (err as Error).message }))
          socket.close(1011)
        }
      })
    },
  })

  app.post<{ Querystring: { path: string } }>(
    '/logs/stream/ticket',
    {
      schema: {
        summary: 'A ticket opening /logs/stream of one path without an Authorization header',
        description: `For EventSource and WebSocket in browsers: GET /logs/stream?path=...&ticket=... Valid for ${Math.round(limits.ticketTtl / 1000)} s to open streams of that path.`,
        tags: ['logs'],
        querystring: ticketQuerySchema,
        response: { 200: ticketSchema, ...errorResponses([400, 401, 403, 404]) },
      },
    },
    async (req) => {
      const file = await openServedFile(roots, req.query.path)
      await file.handle.close()
      const t = tickets.issue(req.query.path)
      return { ticket: t.ticket, expiresAt: t.expiresAt.toISOString() }
    },
  )
}
