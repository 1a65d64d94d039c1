/**
 * `GET /ui/`: the web UI's static files (ts/service/ui/, copied to dist/service/ui/ by the
 * build). The files are read once, when the server starts, into a table keyed by file name;
 * a request is answered from that table or is a 404, so no request path ever reaches the file
 * system (nothing to traverse). The files hold no data, so they need no token: the page asks
 * for it and sends it with its API calls.
 */
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ApiError } from '../errors.js'
import type { RouteContext } from '../context.js'

/** The routes of this file: reachable without a token (server.ts). */
export const UI_ROUTES = ['/ui', '/ui/', '/ui/:file'] as const

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
}

/**
 * The page loads nothing from elsewhere (it must work offline) and nothing inline: a log line
 * that reaches the DOM can never run as script or style.
 */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

interface Asset {
  body: Buffer
  type: string
  etag: string
}

/**
 * The directory of the UI's files: `service/ui/` under this module's directory or one of its
 * three nearest ancestors (ts/ when running from source, dist/ once built and bundled into a
 * chunk, dist/ again for tsc's per-module output); undefined when there is none.
 */
export function uiDirectory(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  let d = from
  for (let up = 0; up <= 3; up++, d = dirname(d)) {
    const candidate = join(d, 'service', 'ui')
    if (existsSync(join(candidate, 'index.html'))) return candidate
  }
  return undefined
}

function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>()
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    const type = TYPES[extname(ent.name)]
    if (!ent.isFile() || type === undefined) continue
    const body = readFileSync(join(dir, ent.name))
    assets.set(ent.name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` })
  }
  return assets
}

function send(req: FastifyRequest, reply: FastifyReply, a: Asset): FastifyReply {
  reply.header('content-type', a.type)
  // Not fingerprinted: the browser revalidates each time and gets a 304 while nothing changed.
  reply.header('cache-control', 'no-cache')
  reply.header('etag', a.etag)
  reply.header('x-content-type-options', 'nosniff')
  reply.header('referrer-policy', 'no-referrer')
  if (a.type.startsWith('text/html')) {
    reply.header('content-security-policy', CSP)
    reply.header('x-frame-options', 'DENY')
  }
  const inm = req.headers['if-none-match']
  if (inm !== undefined && inm.split(',').some((t) => t.trim() === a.etag)) return reply.code(304).send()
  return reply.send(a.body)
}

export function registerUiRoutes(app: FastifyInstance, { core }: RouteContext): void {
  const dir = uiDirectory()
  const assets = dir === undefined ? new Map<string, Asset>() : loadAssets(dir)
  // A build without the UI's files still serves the API; the UI's routes say what is missing.
  const missing = (): ApiError => new ApiError(404, 'ERR_NOT_FOUND', "the web UI's files are not installed (service/ui/ beside the package's code)")
  if (!assets.has('index.html')) core.log.warn('web UI files not found: /ui/ answers 404', { searched: dirname(fileURLToPath(import.meta.url)) })
  const opts = { schema: { hide: true } }
  // Relative asset URLs need the trailing slash.
  app.get(UI_ROUTES[0], opts, async (_req, reply) => reply.redirect('/ui/', 301))
  app.get(UI_ROUTES[1], opts, async (req, reply) => {
    const index = assets.get('index.html')
    if (index === undefined) throw missing()
    return send(req, reply, index)
  })
  app.get<{ Params: { file: string } }>(UI_ROUTES[2], opts, async (req, reply) => {
    const a = assets.get(req.params.file)
    if (a === undefined) throw assets.size === 0 ? missing() : new ApiError(404, 'ERR_NOT_FOUND', `no UI file ${JSON.stringify(req.params.file)}`)
    return send(req, reply, a)
  })
}
