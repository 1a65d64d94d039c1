/**
 * The API's security: a corpus of path traversal attacks on `?path=` (each refused with 400/403
 * and an error code, none reading outside the served trees: a secret planted beside the data
 * root and the data root's own non-log files never appear), hostile requests that must not
 * take the process down, Bearer auth on every route but /health, and the bind policy.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHttpServer } from '../../ts/service/http/server.js'
import { createLogsService } from '../../ts/service/logs-service.js'
import { rawRequest, startHarness, type Harness } from './http-harness.js'

const SECRET = 'TOP-SECRET-7f3a9c-do-not-serve'

let h: Harness
let outside: string

beforeAll(async () => {
  h = await startHarness()
  // Beside the data root, and inside it but outside logs/ and categorized/.
  outside = join(h.root, 'secret.txt')
  await writeFile(outside, `${SECRET}\n`)
  await mkdir(join(h.dataDir, '.ssh'), { recursive: true })
  await writeFile(join(h.dataDir, '.ssh', 'known_hosts'), `${SECRET} known host\n`)
  await writeFile(join(h.dataDir, 'state.txt'), `${SECRET} state\n`)
  await h.put('good.log', 'fine\n')
  await h.sync()
  // Symlinks inside the served tree pointing out of it (planted in the mirror itself, as a
  // hostile remote could make rsync create them).
  const mirror = join(h.dataDir, 'logs', h.source)
  await symlink(outside, join(mirror, 'link-out.log'))
  await symlink(h.root, join(mirror, 'dir-out'))
  await symlink('../../../secret.txt', join(mirror, 'rel-out.log'))
  await symlink('/etc/passwd', join(mirror, 'passwd.log'))
  await symlink(join(h.dataDir, '.ssh', 'known_hosts'), join(mirror, 'hosts.log'))
  await symlink(join(mirror, 'loop-a'), join(mirror, 'loop-b'))
  await symlink(join(mirror, 'loop-b'), join(mirror, 'loop-a'))
})
afterAll(async () => h?.stop())

/** Query values sent as they are written (already URL-encoded where the attack needs it). */
const rawQueries: string[] = [
  '..%2Fsecret.txt',
  '..%2F..%2Fsecret.txt',
  '%2e%2e%2fsecret.txt',
  '%2E%2E/%2E%2E/secret.txt',
  '%252e%252e%252fsecret.txt',
  '..%252f..%252fsecret.txt',
  'logs%2F..%2F..%2Fsecret.txt',
  'logs/local/%252e%252e/%252e%252e/%252e%252e/secret.txt',
  '%25252e%25252e%25252fsecret.txt',
  '..%5csecret.txt',
  '..%255csecret.txt',
  'logs/local/good.log%00.txt',
  'logs/local/good.log%2500',
  '%c0%ae%c0%ae/secret.txt',
  '%c0%ae%c0%ae%c0%afsecret.txt',
  'logs/local/%2e%2e%2f%2e%2e%2f%2e%2e%2fsecret.txt',
  '%2fetc%2fpasswd',
  'logs/local/good.log%0a../../secret.txt',
]

/** Query values given decoded (sent with encodeURIComponent). */
const decodedValues = (h: Harness): string[] => [
  '../secret.txt',
  '../../secret.txt',
  'categorized/../../secret.txt',
  'logs/../../secret.txt',
  `logs/${h.source}/../../../secret.txt`,
  `logs/${h.source}/../../../../../../../../etc/passwd`,
  '/etc/passwd',
  outside,
  '//etc/passwd',
  '~/secret.txt',
  'C:\\Windows\\win.ini',
  'logs\\..\\..\\secret.txt',
  `logs/${h.source}\\..\\..\\..\\secret.txt`,
  '....//....//secret.txt',
  '..;/secret.txt',
  '.ssh/known_hosts',
  'state.txt',
  './state.txt',
  'logs',
  'logs/',
  '.',
  'file:///etc/passwd',
  `logs/${h.source}/good.log\0`,
  `logs/${h.source}/link-out.log`,
  `logs/${h.source}/rel-out.log`,
  `logs/${h.source}/passwd.log`,
  `logs/${h.source}/hosts.log`,
  `logs/${h.source}/dir-out/secret.txt`,
  `logs/${h.source}/dir-out/data/state.txt`,
  `logs/${h.source}/loop-a`,
  `logs/${h.source}`,
  '\u2025/secret.txt',
  `logs/${h.source}/.\u0000./secret.txt`,
]

function expectRefused(label: string, r: { status: number; body: Buffer; json(): unknown }): void {
  expect([400, 403], `${label}: ${r.status} ${r.body.toString().slice(0, 200)}`).toContain(r.status)
  const e = (r.json() as { error: { code: string; message: string } }).error
  expect(e.code, label).toMatch(/^ERR_[A-Z_]+$/)
  const text = r.body.toString()
  expect(text.includes(SECRET), label).toBe(false)
  expect(text.includes('root:x:0:0'), label).toBe(false)
}

describe('path traversal corpus', () => {
  it('has at least 25 attack strings, each refused with 400/403 and a code, none reading outside', async () => {
    const values = decodedValues(h)
    expect(rawQueries.length + values.length).toBeGreaterThanOrEqual(25)
    for (const q of rawQueries) {
      for (const mode of ['', '&tail=10', '&head=10', '&download=1']) expectRefused(q + mode, await h.get(`/logs/content?path=${q}${mode}`))
    }
    for (const v of values) {
      for (const mode of ['', '&tail=10']) expectRefused(JSON.stringify(v) + mode, await h.get(`/logs/content?path=${encodeURIComponent(v)}${mode}`))
    }
  })

  it('refusals name the kind: traversal syntax 400, outside the served trees 403', async () => {
    const code = async (v: string): Promise<[number, string]> => {
      const r = await h.get(`/logs/content?path=${encodeURIComponent(v)}`)
      return [r.status, (r.json() as { error: { code: string } }).error.code]
    }
    expect(await code('../secret.txt')).toEqual([400, 'ERR_PATH_TRAVERSAL'])
    expect(await code('%2e%2e%2fsecret.txt')).toEqual([400, 'ERR_PATH_TRAVERSAL'])
    expect(await code('/etc/passwd')).toEqual([400, 'ERR_INVALID_PATH'])
    expect(await code('logs\\x')).toEqual([400, 'ERR_INVALID_PATH'])
    expect(await code(`logs/${h.source}/good.log\0`)).toEqual([400, 'ERR_INVALID_PATH'])
    expect(await code(`logs/${h.source}/link-out.log`)).toEqual([403, 'ERR_PATH_OUTSIDE_ROOT'])
    expect(await code('.ssh/known_hosts')).toEqual([403, 'ERR_PATH_OUTSIDE_ROOT'])
  })

  it('the files the guard must serve are still served (the corpus is refused for its content, not by refusing all)', async () => {
    const ok = await h.get(`/logs/content?path=${encodeURIComponent(`logs/${h.source}/good.log`)}`)
    expect(ok.status).toBe(200)
    expect(ok.body.toString()).toBe('fine\n')
    const dotted = await h.get(`/logs/content?path=${encodeURIComponent(`./logs/./${h.source}//good.log`)}`)
    expect(dotted.status).toBe(200)
    const missing = await h.get(`/logs/content?path=${encodeURIComponent(`logs/${h.source}/nope.log`)}`)
    expect(missing.status).toBe(404)
    expect((missing.json() as { error: { code: string } }).error.code).toBe('ERR_NOT_FOUND')
  })
})

describe('hostile requests', () => {
  it('do not take the process down, and answer in the error shape', async () => {
    const answers = [
      await h.get('/logs/content?path=%'),
      await h.get('/logs/content?path=%zz%'),
      await h.get(`/logs/content?path=${'a/'.repeat(3000)}`),
      await h.get(`/logs?limit=${'9'.repeat(400)}`),
      await h.get('/logs?limit[]=1'),
      await h.get('/logs?__proto__=1'),
      await h.get('/logs?constructor[prototype][x]=1'),
      await h.get(`/logs?name=${encodeURIComponent('[z-a].log')}`),
      await h.get(`/logs?name=${encodeURIComponent('a/b')}`),
      await h.get(`/logs?since=${'1'.repeat(60)}`),
      await rawRequest(h.url, 'POST', '/sync/trigger?wait=maybe'),
      await rawRequest(h.url, 'DELETE', '/logs'),
    ]
    for (const r of answers) {
      expect(r.status).toBeGreaterThanOrEqual(400)
      expect(r.status).toBeLessThan(500)
      expect((r.json() as { error: { code: string } }).error.code).toMatch(/^ERR_/)
    }
    // A malformed request line straight on the socket.
    const u = new URL(h.url)
    const reply = await new Promise<string>((resolve, reject) => {
      const s = connect(Number(u.port), u.hostname, () => s.write('GET /logs/content?path=\0\0 HTTP/1.1\r\nHost: x\r\n\r\n'))
      let got = ''
      s.on('data', (d) => (got += d.toString()))
      s.on('end', () => resolve(got))
      s.on('error', reject)
    })
    expect(reply.startsWith('HTTP/1.1 400')).toBe(true)
    expect((await h.get('/health')).status).toBe(200)
  })
})

describe('auth', () => {
  const token = 'test-token-0123456789abcdef'
  let a: Harness
  beforeAll(async () => {
    a = await startHarness({ token })
    await a.put('x.log', 'x\n')
    await a.sync()
  })
  afterAll(async () => a?.stop())

  it('/health is open; every other route, known or not, needs the Bearer token', async () => {
    expect((await rawRequest(a.url, 'GET', '/health')).status).toBe(200)
    const routes = ['/status', '/', '/services', '/services/stats', '/logs', `/logs/content?path=logs/${a.source}/x.log`, '/metrics', '/openapi.json', '/docs', '/docs/static/swagger-ui.css', '/no-such-route']
    for (const r of routes) {
      for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong-token' }, { authorization: `Basic ${token}` }, { authorization: `Bearer ${token}x` }, { authorization: 'Bearer' }]) {
        const res = await rawRequest(a.url, 'GET', r, headers)
        expect(res.status, `${r} ${JSON.stringify(headers)}`).toBe(401)
        expect(res.headers['www-authenticate']).toBe('Bearer')
        expect((res.json() as { error: { code: string } }).error.code).toBe('ERR_UNAUTHORIZED')
      }
    }
    expect((await rawRequest(a.url, 'POST', '/sync/trigger')).status).toBe(401)
    for (const r of routes.slice(0, -1)) expect((await rawRequest(a.url, 'GET', r, { authorization: `Bearer ${token}` })).status, r).toBe(200)
    expect((await rawRequest(a.url, 'GET', '/status', { authorization: `bearer ${token}` })).status).toBe(200)
  })

  it('without a token configured, the routes are open', async () => {
    expect((await h.get('/status')).status).toBe(200)
    expect((await h.get('/metrics')).status).toBe(200)
  })
})

describe('bind policy', () => {
  it('a non-loopback address without a token is refused at start with a ConfigError; loopback and token are fine', async () => {
    const core = h.svc.core
    for (const host of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1']) {
      let err: unknown
      try {
        createHttpServer(core, { ...core.settings, host, authToken: undefined })
      } catch (e) {
        err = e
      }
      expect(err, host).toBeInstanceOf(Error)
      expect((err as { code: string }).code).toBe('ERR_INVALID_CONFIG')
      expect((err as Error).message).toContain('LOGFERRY_TOKEN')
    }
    for (const host of ['127.0.0.1', 'localhost', '::1', '127.1.2.3']) expect(() => createHttpServer(core, { ...core.settings, host, authToken: undefined })).not.toThrow()
    const open = createHttpServer(core, { ...core.settings, host: '0.0.0.0', port: 0, authToken: 'a-long-enough-token-123' })
    const url = await open.listen()
    try {
      expect(url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/)
      expect((await rawRequest(url.replace('0.0.0.0', '127.0.0.1'), 'GET', '/status')).status).toBe(401)
    } finally {
      await open.close()
    }
  })

  it('the service itself refuses to start on 0.0.0.0 without a token', async () => {
    const start = async (): Promise<void> => {
      const svc = await createLogsService({ host: '0.0.0.0', port: 0, dataDir: join(h.root, 'other-data'), sources: [{ name: 's', kind: 'local', path: h.sourceDir }], syncInterval: 0, logLevel: 'silent', cwd: h.root, env: {}, ignoreEnvFiles: true })
      try {
        await svc.start()
      } finally {
        await svc.stop().catch(() => undefined)
      }
    }
    await expect(start()).rejects.toMatchObject({ code: 'ERR_INVALID_CONFIG' })
  })
})
