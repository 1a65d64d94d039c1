/**
 * The HTTP tests' service: the real logs service (createLogsService) over a local source
 * directory in a temp dir, bound to 127.0.0.1 on a free port. Files are put in the source and
 * a sync makes the core mirror and categorise them, so the data dir is laid out by the core.
 * Also: a raw HTTP GET (no client-side normalisation of the request target) and the served
 * OpenAPI document compiled with Ajv to validate answers.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Ajv, type ValidateFunction } from 'ajv'
import { createLogsService } from '../../ts/service/logs-service.js'
import type { LogsService, TailSettings } from '../../ts/service/types.js'

export interface Harness {
  svc: LogsService
  url: string
  root: string
  dataDir: string
  sourceDir: string
  source: string
  token: string | undefined
  /** Writes a file into the source (not yet synced). */
  put(rel: string, content: string | Buffer): Promise<string>
  /** Runs a sync to its end through the API. */
  sync(): Promise<void>
  get(pathAndQuery: string, headers?: Record<string, string>): Promise<RawResponse>
  stop(): Promise<void>
}

export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  json(): unknown
}

export function rawRequest(base: string, method: string, pathAndQuery: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const u = new URL(base)
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path: pathAndQuery, headers, insecureHTTPParser: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => {
        const body = Buffer.concat(chunks)
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) })
      })
    })
    req.on('error', reject)
    req.end()
  })
}

export interface HarnessOptions {
  token?: string
  limits?: { maxTail?: number; maxLimit?: number; defaultLimit?: number }
  tail?: Partial<TailSettings>
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const root = await mkdtemp(join(tmpdir(), 'logferry-http-'))
  const sourceDir = join(root, 'src')
  const dataDir = join(root, 'data')
  await mkdir(sourceDir, { recursive: true })
  const source = 'local'
  const svc = await createLogsService({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    sources: [{ name: source, kind: 'local', path: sourceDir }],
    syncInterval: 0,
    logLevel: 'silent',
    // Nothing from the machine's environment or working directory (LOGFERRY_TOKEN, .env).
    cwd: root,
    env: {},
    ignoreEnvFiles: true,
    ...(opts.token === undefined ? {} : { authToken: opts.token }),
    ...(opts.tail === undefined ? {} : { tail: opts.tail }),
    // All three limits given: a partial object is merged with the defaults by the settings, which
    // its own tests cover.
    ...(opts.limits === undefined ? {} : { limits: { maxTail: 10_000, maxLimit: 1000, defaultLimit: 100, ...opts.limits } }),
  })
  await svc.start()
  const url = svc.url as string
  const auth: Record<string, string> = opts.token === undefined ? {} : { authorization: `Bearer ${opts.token}` }
  // start() begins a first sync; a trigger made while it runs joins it, so a file put before it
  // ends might not be in it. Wait for it here, so every h.sync() below is a sync of its own.
  const first = await rawRequest(url, 'POST', '/sync/trigger?wait=true', auth)
  if (first.status !== 200) throw new Error(`first sync: ${first.status} ${first.body.toString()}`)
  const h: Harness = {
    svc,
    url,
    root,
    dataDir,
    sourceDir,
    source,
    token: opts.token,
    async put(rel, content) {
      const p = join(sourceDir, rel)
      await mkdir(dirname(p), { recursive: true })
      await writeFile(p, content)
      return p
    },
    async sync() {
      const r = await rawRequest(url, 'POST', '/sync/trigger?wait=true', auth)
      if (r.status !== 200) throw new Error(`sync: ${r.status} ${r.body.toString()}`)
      const outcome = (r.json() as { result: { outcome: string } }).result.outcome
      if (outcome !== 'ok') throw new Error(`sync outcome ${outcome}: ${r.body.toString()}`)
    },
    get: (pq, headers = {}) => rawRequest(url, 'GET', pq, { ...auth, ...headers }),
    async stop() {
      await svc.stop()
      await rm(root, { recursive: true, force: true })
    },
  }
  return h
}

/** The served OpenAPI document, compiled: `validator(path, method, status)` checks an answer. */
export async function openApiValidator(h: Harness): Promise<(path: string, method: string, status: number) => ValidateFunction> {
  const doc = (await h.get('/openapi.json')).json() as Record<string, unknown>
  const ajv = new Ajv({ strict: false, allErrors: true })
  ajv.addFormat('date-time', (s: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s))
  ajv.addSchema({ ...doc, $id: 'openapi' })
  const esc = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1')
  return (path, method, status) => {
    const ref = `openapi#/paths/${esc(path)}/${method.toLowerCase()}/responses/${status}/content/${esc('application/json')}/schema`
    const v = ajv.getSchema(ref)
    if (v === undefined) throw new Error(`the OpenAPI document has no JSON schema for ${method} ${path} ${status}`)
    return v
  }
}

/** Asserts that `body` matches the OpenAPI schema of the answer (throws with Ajv's errors). */
export function checkShape(v: ValidateFunction, body: unknown): void {
  if (!v(body)) throw new Error(`answer does not match the OpenAPI schema: ${JSON.stringify(v.errors)}\n${JSON.stringify(body).slice(0, 2000)}`)
}
