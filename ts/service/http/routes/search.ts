/**
 * `GET /search`: matching lines of the served files, newest file first, scanned natively
 * (ts/search/native-search.ts). `Accept: application/x-ndjson` streams one JSON object per line
 * (matches, then `{"error":...}` for a file that could not be read, and a last `{"cursor":...}`
 * when `limit` cut the results short); otherwise one JSON page `{ matches, cursor, errors }`
 * whose cursor asks for the next page. Paths go through the path guard; the search reads only
 * the trees it resolves to and stops when the client goes away.
 */
import { sep } from 'node:path'
import { Readable } from 'node:stream'
import type { NativeSearchBatch, NativeSearchMatch } from '../../../search/native-search.js'
import { PatternError, startSearch } from '../../../search/native-search.js'
import { badParam } from '../errors.js'
import { parseTime } from '../params.js'
import { checkPathText, resolveServedPath, type ServedRoots } from '../path-guard.js'
import { searchPageSchema, searchQuerySchema } from '../schemas.js'
import { decodeCursor, encodeCursor, queryDigest, type SearchPosition } from '../search-cursor.js'
import { errorResponses, type RegisterRoutes } from '../context.js'

type Flag = '0' | '1' | 'true' | 'false'

interface SearchQuery {
  q: string
  regex?: Flag
  ignoreCase?: Flag
  service?: string
  path?: string
  since?: string
  until?: string
  limit: number
  context: number
  cursor?: string
}

/** Most matches of one JSON page (a stream may ask for more). */
const MAX_PAGE = 10_000
/** File errors listed in a page. */
const MAX_ERRORS = 100

const on = (f: Flag | undefined): boolean => f === '1' || f === 'true'

/** An absolute path the search reported -> relative to the data root. */
function relative(roots: ServedRoots, abs: string): string | undefined {
  for (const [seg, dir] of roots.trees) if (abs.startsWith(dir + sep)) return [seg, ...abs.slice(dir.length + 1).split(sep)].join('/')
  return undefined
}

/** A relative path of a cursor -> absolute (text checks only: the file may be gone since). */
function absolute(roots: ServedRoots, rel: string): string {
  let segs: string[]
  try {
    segs = checkPathText(rel)
  } catch {
    throw badParam('cursor', 'not a cursor of this API')
  }
  const dir = roots.trees.get(segs[0] as string)
  if (dir === undefined || segs.length < 2) throw badParam('cursor', 'not a cursor of this API')
  return [dir, ...segs.slice(1)].join(sep)
}

function matchOf(path: string, m: NativeSearchMatch): Record<string, unknown> {
  const out: Record<string, unknown> = { path, lineNumber: m.lineNumber, offset: m.offset, line: m.line }
  if (m.before !== undefined) out.before = m.before
  if (m.after !== undefined) out.after = m.after
  return out
}

export const registerSearchRoutes: RegisterRoutes = (app, { core, roots }) => {
  app.get<{ Querystring: SearchQuery }>(
    '/search',
    {
      schema: {
        summary: 'Search the log files',
        description:
          'Lines matching q (literal, or a regular expression with regex=1), newest file first; .gz and .zst decoded. Accept: application/x-ndjson streams; else a JSON page with a cursor for the next one.',
        tags: ['logs'],
        querystring: searchQuerySchema(),
        produces: ['application/json', 'application/x-ndjson'],
        response: { 200: searchPageSchema, ...errorResponses([400, 401, 403, 404]) },
      },
    },
    async (req, reply) => {
      const q = req.query
      const stream = (req.headers.accept ?? '').includes('application/x-ndjson')
      if (!stream && q.limit > MAX_PAGE) throw badParam('limit', `must be <= ${MAX_PAGE} in a JSON page (ask with Accept: application/x-ndjson to stream more)`)
      if (q.service !== undefined && !core.categories().some((c) => c.name === q.service))
        throw badParam('service', `unknown service ${JSON.stringify(q.service)} (see GET /services)`)
      const since = q.since === undefined ? undefined : parseTime('since', q.since)
      const until = q.until === undefined ? undefined : parseTime('until', q.until)
      if (since !== undefined && until !== undefined && until < since) throw badParam('until', 'is before since')

      const categorized = roots.trees.get('categorized') as string
      let searchRoot: string
      if (q.path !== undefined) {
        const p = await resolveServedPath(roots, q.path, { allowTree: true })
        if (q.service !== undefined && !(p.tree === 'categorized' && (p.relPath === `categorized/${q.service}` || p.relPath.startsWith(`categorized/${q.service}/`))))
          throw badParam('path', `is not in service ${JSON.stringify(q.service)} (categorized/${q.service}/...)`)
        searchRoot = p.realPath
      } else searchRoot = q.service === undefined ? categorized : [categorized, q.service].join(sep)

      const digest = queryDigest([q.q, on(q.regex), on(q.ignoreCase), q.service ?? null, q.path ?? null, since ?? null, until ?? null, q.context])
      const from = q.cursor === undefined ? undefined : decodeCursor(q.cursor, digest)

      const ac = new AbortController()
      // The client went away (or the answer ended): stop reading files.
      reply.raw.once('close', () => ac.abort())
      let batches: AsyncGenerator<NativeSearchBatch, void, undefined>
      try {
        batches = startSearch(
          {
            pattern: q.q,
            regex: on(q.regex),
            ignoreCase: on(q.ignoreCase),
            paths: [searchRoot],
            // One more than asked: whether a next page exists, and where it starts.
            limit: q.limit + 1,
            before: q.context,
            after: q.context,
            sinceMs: since,
            untilMs: until,
            resume: from && { path: absolute(roots, from.path), mtimeMs: from.mtimeMs, offset: from.offset, line: from.lineNumber },
          },
          ac.signal,
        )
      } catch (err) {
        if (err instanceof PatternError) throw badParam('q', `${on(q.regex) ? 'invalid regular expression' : 'invalid pattern'}: ${err.message}`)
        throw err
      }

      let sent = 0
      type Item = { match?: Record<string, unknown>; error?: Record<string, string>; next?: SearchPosition; flush?: true }
      /** Matches (paths relative), file errors, the next page's position; `flush` ends a batch. */
      async function* items(): AsyncGenerator<Item> {
        try {
          for await (const b of batches) {
            const rel = relative(roots, b.path)
            if (rel === undefined) continue
            for (const m of b.matches) {
              if (sent === q.limit) {
                yield { next: { path: rel, mtimeMs: b.mtimeMs, offset: m.offset, lineNumber: m.lineNumber } }
                return
              }
              sent++
              yield { match: matchOf(rel, m) }
            }
            if (b.error !== undefined) yield { error: { path: rel, code: b.error.code, message: b.error.message } }
            yield { flush: true }
          }
        } catch (err) {
          // The client left: nobody to answer.
          if (ac.signal.aborted) return
          throw err
        }
      }

      if (!stream) {
        const matches: Record<string, unknown>[] = []
        const errors: Record<string, string>[] = []
        let cursor: string | null = null
        for await (const it of items()) {
          if (it.match) matches.push(it.match)
          else if (it.error && errors.length < MAX_ERRORS) errors.push(it.error)
          else if (it.next) cursor = encodeCursor(it.next, digest)
        }
        // (A client that left gets nothing: the socket is gone; the scan stopped with it.)
        return { matches, cursor, errors }
      }

      async function* ndjson(): AsyncGenerator<string> {
        let chunk = ''
        for await (const it of items()) {
          if (it.match) chunk += JSON.stringify(it.match) + '\n'
          else if (it.error) chunk += JSON.stringify({ error: it.error }) + '\n'
          else if (it.next) chunk += JSON.stringify({ cursor: encodeCursor(it.next, digest) }) + '\n'
          // One write per native batch (or 64 KiB), not per line.
          if ((it.flush || chunk.length >= 64 * 1024) && chunk !== '') {
            yield chunk
            chunk = ''
          }
        }
        if (chunk !== '') yield chunk
      }
      reply.header('content-type', 'application/x-ndjson; charset=utf-8')
      reply.header('cache-control', 'no-store')
      return reply.send(Readable.from(ndjson(), { objectMode: false }))
    },
  )
}
