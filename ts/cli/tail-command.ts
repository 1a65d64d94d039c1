/**
 * `logferry tail [-f] [-n N] PATH|URL` (docs/tail.md): the last lines of a local file, or of a
 * file of a running `logferry serve`; with -f, then every line appended, following rotation
 * by name and reporting truncation on stderr (as `tail -F`). A URL is read over the service's
 * live tail (Server-Sent Events), reconnecting and resuming where it was when the stream ends.
 * Exit status: 0 done (or stopped with Ctrl-C), 1 failed, 2 bad usage.
 */
import { open, readFile } from 'node:fs/promises'
import { basename, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import { abortableSleep, attempt } from '../delivery/retry.js'
import { sseEvents } from './sse-events.js'
import { waitForStopSignal } from './stop-signal.js'

export const TAIL_USAGE = `usage: logferry tail [-f] [-n N] PATH|URL
  The last lines of a file; with -f, then every line appended to it.
  PATH                  a local file (.gz and .zst are decoded; they are not followed)
  URL                   a file of a running logferry serve: http://HOST:PORT/?path=REL, where REL
                        is the path the API lists (categorized/<service>/... or logs/<source>/...)
  -n, --lines N         the last N lines (default 10)
  -f, --follow          keep printing appended lines; follows rotation by name, reports
                        truncation and dropped lines on stderr; a URL stream reconnects and
                        resumes where it was
  --token-file FILE     (URL) the service's token from a file (default: LOGFERRY_TOKEN)`

const OPTIONS = {
  follow: { type: 'boolean', short: 'f' },
  lines: { type: 'string', short: 'n' },
  'token-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

const MAX_TAIL_BYTES = 64 * 1024 * 1024
const note = (text: string): void => void process.stderr.write(`logferry tail: ${text}\n`)

class UsageError extends Error {}

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

export async function tailCommand(args: string[]): Promise<number> {
  let values: { follow?: boolean; lines?: string; 'token-file'?: string; help?: boolean }
  let positionals: string[]
  try {
    ;({ values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true }))
    if (values.help) {
      process.stdout.write(`${TAIL_USAGE}\n`)
      return 0
    }
    if (positionals.length !== 1) throw new UsageError('give one PATH or URL')
    if (values.lines !== undefined && !/^\d{1,9}$/.test(values.lines)) throw new UsageError(`-n: a number of lines, got ${JSON.stringify(values.lines)}`)
  } catch (err) {
    process.stderr.write(`logferry tail: ${(err as Error).message}\n${TAIL_USAGE}\n`)
    return 2
  }
  const n = values.lines === undefined ? 10 : Number(values.lines)
  const target = positionals[0] as string
  const stop = new AbortController()
  void waitForStopSignal().then(() => stop.abort(new Error('stopped')))
  try {
    if (/^https?:\/\//i.test(target)) return await tailUrl(target, n, values.follow === true, values['token-file'], stop.signal)
    return await tailFile(target, n, values.follow === true, stop.signal)
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`logferry tail: ${err.message}\n`)
      return 2
    }
    if (stop.signal.aborted) return 0
    note(`${target}: ${describeError(err)}`)
    return 1
  }
}

/** An error's code and message once each; fetch's "fetch failed" with the reason under it (ECONNREFUSED ...). */
function describeError(err: unknown): string {
  const e = err as { code?: unknown; message?: string; cause?: { code?: unknown; message?: string } }
  const message = e.message ?? String(err)
  const code = typeof e.code === 'string' && !message.startsWith(e.code) ? `${e.code}: ` : ''
  const cause = e.cause?.message !== undefined && e.cause.message !== message ? ` (${e.cause.message})` : ''
  return `${code}${message}${cause}`
}

async function tailFile(path: string, n: number, follow: boolean, signal: AbortSignal): Promise<number> {
  const real = resolve(path)
  const { compressionOf, openContent } = await import('../service/http/content.js')
  if (!follow || compressionOf(basename(real)) !== null) {
    const handle = await open(real, 'r')
    const st = await handle.stat()
    const body = await openContent({ handle, realPath: real, relPath: path, size: st.size, mtimeMs: st.mtimeMs }, basename(real), { kind: 'tail', lines: n }, { maxTailBytes: MAX_TAIL_BYTES })
    await pipeline(body, process.stdout, { end: false })
    if (follow) note(`${path}: compressed: not followed`)
    return 0
  }
  const { FollowerPool } = await import('../service/tail/follower-pool.js')
  const { TailClient } = await import('../service/tail/tail-client.js')
  const { WritableTransport } = await import('../service/tail/writable-transport.js')
  const pool = new FollowerPool({ pollInterval: 200 })
  let failed = false
  const client = new TailClient(
    new WritableTransport(process.stdout, (text, e) => {
      if (e.type === 'end' && e.reason === 'failed') failed = true
      note(`${path}: ${text}`)
    }),
    // A terminal or pipe that does not keep up loses lines past 64 MiB (and is told how many).
    { bufferLines: 1_000_000, bufferBytes: 64 * 1024 * 1024, stallTimeout: Number.POSITIVE_INFINITY, maxDuration: Number.POSITIVE_INFINITY },
  )
  const joined = await pool.join(real, client, { kind: 'tail', lines: n })
  const closed = new Promise<void>((r) => client.onClosed(r))
  // The follower's watcher and poll do not hold a process open (they serve the service too).
  const alive = setInterval(() => undefined, 60_000)
  await client.start(joined)
  await Promise.race([closed, new Promise((r) => signal.addEventListener('abort', r, { once: true }))])
  clearInterval(alive)
  client.close()
  await joined.leave()
  await pool.close()
  return failed ? 1 : 0
}

/** The service's base URL and the file's path from `http://host:port[/prefix][/logs/stream]?path=REL`. */
function parseServiceUrl(raw: string): { base: string; path: string } {
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    throw new UsageError(`not a URL: ${raw}`)
  }
  const path = u.searchParams.get('path')
  if (path === null || path === '') throw new UsageError(`${raw}: the URL needs ?path=<file path in the service>`)
  const prefix = u.pathname.replace(/\/(logs\/(stream|content))?\/?$/, '')
  return { base: `${u.origin}${prefix}`, path }
}

async function authHeader(tokenFile: string | undefined): Promise<Record<string, string>> {
  const token = tokenFile !== undefined ? (await readFile(tokenFile, 'utf8')).trim() : process.env.LOGFERRY_TOKEN
  return token === undefined || token === '' ? {} : { authorization: `Bearer ${token}` }
}

async function failure(res: Response): Promise<HttpStatusError> {
  const text = await res.text().catch(() => '')
  let msg = text.slice(0, 500)
  try {
    const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error
    if (e?.message !== undefined) msg = `${e.code ?? ''}: ${e.message}`
  } catch {
    // not the API's error shape: the raw text is the message
  }
  return new HttpStatusError(res.status, `HTTP ${res.status} ${msg}`)
}

async function tailUrl(raw: string, n: number, follow: boolean, tokenFile: string | undefined, signal: AbortSignal): Promise<number> {
  const { base, path } = parseServiceUrl(raw)
  const headers = await authHeader(tokenFile)
  const q = (extra: string): string => `?path=${encodeURIComponent(path)}${extra}`
  if (!follow) {
    const res = await fetch(`${base}/logs/content${q(`&tail=${n}`)}`, { headers, signal })
    if (!res.ok) throw await failure(res)
    await pipeline(res.body as unknown as AsyncIterable<Uint8Array>, process.stdout, { end: false })
    return 0
  }
  let lastId = ''
  for (;;) {
    // Connection failures (the service restarting, the network) are retried with backoff; a
    // 4xx is final. A stream that ended (max-duration, the service stopping) reconnects at once.
    const r = await attempt(
      async () => {
        const res = await fetch(`${base}/logs/stream${q(lastId === '' ? `&tail=${n}` : '')}`, {
          headers: { ...headers, accept: 'text/event-stream', ...(lastId === '' ? {} : { 'last-event-id': lastId }) },
          signal,
        })
        if (!res.ok) throw await failure(res)
        try {
          for await (const e of sseEvents(res.body as unknown as AsyncIterable<Uint8Array>)) {
            if (e.lastEventId !== '') lastId = e.lastEventId
            const ev = JSON.parse(e.data) as { type: string; lines?: string[]; count?: number; reason?: string; message?: string }
            if (ev.type === 'lines') {
              if (!process.stdout.write(`${(ev.lines ?? []).join('\n')}\n`)) await new Promise((res) => process.stdout.once('drain', res))
            } else {
              const { describeEvent } = await import('../service/tail/writable-transport.js')
              note(`${path}: ${describeEvent(ev as Parameters<typeof describeEvent>[0])}`)
              if (ev.type === 'end' && (ev.reason === 'failed' || ev.reason === 'compressed')) return 'done' as const
            }
          }
        } catch (err) {
          if (signal.aborted) throw err
          // Cut mid-stream: resume from the last id.
        }
        return 'reconnect' as const
      },
      {
        retries: 8,
        retryDelay: 500,
        signal,
        retryable: (err) => !(err instanceof HttpStatusError) || err.status >= 500 || err.status === 429,
        onRetry: (err, _n, delay) => note(`${describeError(err)}; retrying in ${Math.round(delay / 100) / 10} s`),
      },
    )
    if (!r.ok) {
      if (signal.aborted) return 0
      throw r.error
    }
    if (r.value === 'done') return 0
    await abortableSleep(100, signal).catch(() => undefined)
    if (signal.aborted) return 0
  }
}
