/**
 * The live tail tests' clients: an SSE reader over a raw HTTP request (its own parser of the
 * event-stream format, so the server is not checked against the product's own reader) and a
 * WebSocket reader (ws), both collecting events into a list the test waits on.
 */
import { request, type IncomingMessage } from 'node:http'
import { WebSocket } from 'ws'

export interface TailEvent {
  type: string
  id?: string
  lines?: string[]
  count?: number
  size?: number
  reason?: string
}

export interface TailReader {
  status: number
  headers: IncomingMessage['headers']
  /** Every event so far, in order. */
  events: TailEvent[]
  /** Error body when status is not 200. */
  body: string
  /** Every line of every lines event so far. */
  lines(): string[]
  /** Resolves when `pred` holds for the events so far (checked on each event), or rejects after `ms`. */
  until(pred: (events: TailEvent[]) => boolean, ms?: number, what?: string): Promise<void>
  close(): void
  closed: Promise<void>
}

function makeReader(): { r: TailReader; push: (e: TailEvent) => void; done: () => void } {
  const waiters = new Set<() => void>()
  let resolveClosed: () => void = () => undefined
  const r: TailReader = {
    status: 0,
    headers: {},
    events: [],
    body: '',
    lines: () => r.events.flatMap((e) => (e.type === 'lines' ? (e.lines ?? []) : [])),
    until(pred, ms = 5000, what = 'condition') {
      if (pred(r.events)) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!pred(r.events)) return
          clearTimeout(t)
          waiters.delete(check)
          resolve()
        }
        const t = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`timed out after ${ms} ms waiting for ${what}; ${r.events.length} events, last: ${JSON.stringify(r.events.slice(-3)).slice(0, 500)}`))
        }, ms)
        waiters.add(check)
      })
    },
    close: () => undefined,
    closed: new Promise((res) => (resolveClosed = res)),
  }
  return {
    r,
    push: (e) => {
      r.events.push(e)
      for (const w of [...waiters]) w()
    },
    done: () => {
      resolveClosed()
      for (const w of [...waiters]) w()
    },
  }
}

/** GET `pathAndQuery` as an EventSource would (Accept: text/event-stream). */
export function openSse(base: string, pathAndQuery: string, headers: Record<string, string> = {}): Promise<TailReader> {
  const u = new URL(base)
  const { r, push, done } = makeReader()
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: pathAndQuery, headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      r.status = res.statusCode ?? 0
      r.headers = res.headers
      r.close = () => res.destroy()
      res.on('close', done)
      res.on('error', () => undefined)
      if (r.status !== 200) {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          r.body = Buffer.concat(chunks).toString('utf8')
          resolve(r)
        })
        return
      }
      res.setEncoding('utf8')
      let buf = ''
      res.on('data', (s: string) => {
        buf += s
        for (;;) {
          const i = buf.indexOf('\n\n')
          if (i < 0) break
          const block = buf.slice(0, i)
          buf = buf.slice(i + 2)
          let type = 'message'
          let id: string | undefined
          const data: string[] = []
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue
            const c = line.indexOf(':')
            const field = c < 0 ? line : line.slice(0, c)
            const value = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '')
            if (field === 'event') type = value
            else if (field === 'id') id = value
            else if (field === 'data') data.push(value)
          }
          if (data.length === 0) continue
          const obj = JSON.parse(data.join('\n')) as TailEvent
          if (obj.type !== type) throw new Error(`event field ${type} but data type ${obj.type}`)
          if (id !== undefined && id !== obj.id) throw new Error(`id field ${id} but data id ${obj.id}`)
          push(obj)
        }
      })
      resolve(r)
    })
    req.on('error', reject)
    req.end()
  })
}

/** A WebSocket to `pathAndQuery`; rejects with the HTTP status when the upgrade is refused. */
export function openWs(base: string, pathAndQuery: string, headers: Record<string, string> = {}): Promise<TailReader> {
  const { r, push, done } = makeReader()
  const ws = new WebSocket(base.replace(/^http/, 'ws') + pathAndQuery, { headers })
  r.close = () => ws.close()
  ws.on('message', (data) => push(JSON.parse(String(data)) as TailEvent))
  ws.on('close', done)
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      r.status = 101
      resolve(r)
    })
    ws.once('unexpected-response', (_req, res) => {
      r.status = res.statusCode ?? 0
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        r.body = Buffer.concat(chunks).toString('utf8')
        resolve(r)
      })
    })
    ws.once('error', (err) => {
      if (r.status === 0) reject(err)
    })
  })
}
