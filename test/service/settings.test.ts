// Settings of logferry serve: layers in rising precedence, every bad value refused naming its key.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../../ts/config-error.js'
import { DEFAULT_RULES } from '../../ts/service/categorize/rules.js'
import { resolveSettings } from '../../ts/service/settings.js'

const work = mkdtempSync(join(tmpdir(), 'lf-settings-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

let n = 0
function dir(files: Record<string, string> = {}): string {
  const d = join(work, `d${n++}`)
  mkdirSync(d)
  for (const [f, c] of Object.entries(files)) writeFileSync(join(d, f), c)
  return d
}

function refused(f: () => unknown): ConfigError {
  try {
    f()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).code).toBe('ERR_INVALID_CONFIG')
    return err as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('resolveSettings', () => {
  it('the embedded default: local ./logs, ./logferry-data, 127.0.0.1:8004, the seed rules', () => {
    const cwd = dir()
    const s = resolveSettings({ cwd, env: {} })
    expect(s).toMatchObject({ host: '127.0.0.1', port: 8004, dataDir: join(cwd, 'logferry-data'), syncInterval: 60, logLevel: 'info' })
    expect(s.sources).toEqual([{ name: 'local', kind: 'local', path: join(cwd, 'logs') }])
    expect(s.rules).toEqual(DEFAULT_RULES)
    expect(s.authToken).toBeUndefined()
  })

  it('precedence: defaults < .env < .env.local < environment < config file < options/flags', () => {
    const cwd = dir({
      '.env': 'SYNC_INTERVAL=10\nLOG_LEVEL=DEBUG\nLOGFERRY_PORT=1001\nLOGFERRY_HOST=127.0.0.2\nLOGFERRY_DATA_DIR=/from-env-file\n',
      '.env.local': 'SYNC_INTERVAL=20  # seconds\nLOGFERRY_PORT=1002\nLOGFERRY_HOST=127.0.0.3\n',
      'serve.yaml': 'port: 1004\nsyncInterval: 5m\n',
    })
    // Each layer alone over the previous ones.
    expect(resolveSettings({ cwd, env: {} })).toMatchObject({ syncInterval: 20, logLevel: 'debug', port: 1002, host: '127.0.0.3', dataDir: '/from-env-file' })
    expect(resolveSettings({ cwd, env: { LOGFERRY_PORT: '1003', SYNC_INTERVAL: '30' } })).toMatchObject({ port: 1003, syncInterval: 30, host: '127.0.0.3' })
    expect(resolveSettings({ cwd, env: { LOGFERRY_PORT: '1003', SYNC_INTERVAL: '30' }, config: 'serve.yaml' })).toMatchObject({ port: 1004, syncInterval: 300, host: '127.0.0.3' })
    expect(resolveSettings({ cwd, env: { LOGFERRY_PORT: '1003' }, config: 'serve.yaml', port: 1005, host: '127.0.0.9' })).toMatchObject({ port: 1005, host: '127.0.0.9', syncInterval: 300 })
    expect(resolveSettings({ cwd, env: {}, ignoreEnvFiles: true })).toMatchObject({ port: 8004, syncInterval: 60 })
  })

  it("the seed's SSH variables make an rsync source on REMOTE_BASE_PATH/logs/", () => {
    const cwd = dir({ '.env.local': 'SSH_HOST=login.lxp.lu\nSSH_PORT=8822\nSSH_USER=u103056\nREMOTE_BASE_PATH=~/ai-factory-benchmarks\nSYNC_INTERVAL=60\nLOG_LEVEL=INFO\n' })
    const s = resolveSettings({ cwd, env: { SSH_PASSWORD: 'secret' } })
    expect(s.sources).toEqual([
      {
        name: 'remote',
        kind: 'rsync',
        host: 'login.lxp.lu',
        port: 8822,
        user: 'u103056',
        password: 'secret',
        remotePath: '~/ai-factory-benchmarks/logs/',
        strictHostKeyChecking: 'accept-new',
        knownHostsFile: join(cwd, 'logferry-data', '.ssh', 'known_hosts'),
      },
    ])
  })

  it('a config file with several sources and custom rules; relative paths are relative to the file', () => {
    const cwd = dir()
    mkdirSync(join(cwd, 'conf'))
    writeFileSync(
      join(cwd, 'conf', 'serve.yaml'),
      [
        'dataDir: ../data',
        'sources:',
        '  - { name: cluster, host: 127.0.0.1, port: 2222, user: me, remotePath: /var/log/jobs/, identityFile: keys/id }',
        '  - { name: bucket, url: "s3://logs/prefix" }',
        '  - { name: here, path: ./incoming }',
        'rules:',
        '  - { category: gpu, match: regex, pattern: "^gpu\\\\d+" }',
        '  - { category: server, pattern: server- }',
        'limits: { maxTail: 5000 }',
      ].join('\n'),
    )
    const s = resolveSettings({ cwd, env: {}, config: 'conf/serve.yaml' })
    expect(s.dataDir).toBe(join(cwd, 'data'))
    expect(resolveSettings({ cwd, env: { SSH_HOST: 'h', SSH_IDENTITY_FILE: '~/.ssh/id_x' } }).sources[0]).toMatchObject({ identityFile: join(homedir(), '.ssh', 'id_x') })
    expect(s.sources.map((x) => [x.name, x.kind])).toEqual([['cluster', 'rsync'], ['bucket', 'storage'], ['here', 'local']])
    expect(s.sources[0]).toMatchObject({ identityFile: join(cwd, 'conf', 'keys', 'id'), port: 2222 })
    expect(s.sources[2]).toMatchObject({ path: join(cwd, 'conf', 'incoming') })
    expect(s.rules).toEqual([{ category: 'gpu', match: 'regex', pattern: '^gpu\\d+' }, { category: 'server', match: 'substring', pattern: 'server-' }])
    expect(s.limits).toEqual({ maxTail: 5000, maxLimit: 10_000, defaultLimit: 100 })
  })

  it('a partial limits object: each key defaulted on its own, a defaultLimit nobody wrote follows maxLimit down', () => {
    const cwd = dir({ 'l.yaml': 'limits:\n  maxLimit: 50\n', 'd.yaml': 'limits: { defaultLimit: 7 }\n', 'bad.yaml': 'limits: { maxLimit: 10, defaultLimit: 11 }\n' })
    expect(resolveSettings({ cwd, env: {}, config: 'l.yaml' }).limits).toEqual({ maxTail: 100_000, maxLimit: 50, defaultLimit: 50 })
    expect(resolveSettings({ cwd, env: {}, config: 'd.yaml' }).limits).toEqual({ maxTail: 100_000, maxLimit: 10_000, defaultLimit: 7 })
    expect(resolveSettings({ cwd, env: {}, limits: { maxTail: 9, maxLimit: undefined } }).limits).toEqual({ maxTail: 9, maxLimit: 10_000, defaultLimit: 100 })
    // The file sets maxLimit, code sets defaultLimit: merged per key, then checked together.
    expect(resolveSettings({ cwd, env: {}, config: 'l.yaml', limits: { defaultLimit: 20 } }).limits).toEqual({ maxTail: 100_000, maxLimit: 50, defaultLimit: 20 })
    expect(refused(() => resolveSettings({ cwd, env: {}, config: 'bad.yaml' })).key).toBe('limits.defaultLimit')
    expect(refused(() => resolveSettings({ cwd, env: {}, limits: { maxLimit: 0 } })).key).toBe('limits.maxLimit')
    expect(refused(() => resolveSettings({ cwd, env: {}, limits: { maxTail: 'many' as never } })).key).toBe('limits.maxTail')
  })

  it('the token from a file (authTokenFile, LOGFERRY_TOKEN_FILE): first line, trimmed; the higher layer wins whichever form it has', () => {
    const cwd = dir({ tok: '  s3cret  \nignored\n', empty: '\n', 'c.yaml': 'authTokenFile: tok\n', 'both.yaml': 'authToken: a\nauthTokenFile: tok\n' })
    expect(resolveSettings({ cwd, env: {}, authTokenFile: 'tok' }).authToken).toBe('s3cret')
    expect(resolveSettings({ cwd, env: { LOGFERRY_TOKEN_FILE: join(cwd, 'tok') } }).authToken).toBe('s3cret')
    // The config file's token file is relative to the file and beats LOGFERRY_TOKEN; code beats both.
    expect(resolveSettings({ cwd, env: { LOGFERRY_TOKEN: 'fromenv' }, config: 'c.yaml' }).authToken).toBe('s3cret')
    expect(resolveSettings({ cwd, env: {}, config: 'c.yaml', authToken: 'code' }).authToken).toBe('code')
    expect(refused(() => resolveSettings({ cwd, env: {}, config: 'both.yaml' })).key).toBe('authTokenFile')
    expect(refused(() => resolveSettings({ cwd, env: {}, authTokenFile: 'empty' })).message).toMatch(/is empty/)
    expect(refused(() => resolveSettings({ cwd, env: {}, authTokenFile: 'missing' })).message).toMatch(/cannot read the token file/)
    expect(resolveSettings({ cwd, env: {}, stopTimeout: '2s' }).stopTimeout).toBe(2000)
  })

  it('--source specs: directory, URL, user@host:path, name=SPEC', () => {
    const cwd = dir()
    const s = resolveSettings({ cwd, env: {}, source: ['./a', 'web=sftp://u@h:22/logs', 'me@cluster:/var/log/'] })
    expect(s.sources).toMatchObject([
      { name: 'a', kind: 'local', path: join(cwd, 'a') },
      { name: 'web', kind: 'storage', url: 'sftp://u@h:22/logs' },
      { name: 'cluster', kind: 'rsync', host: 'cluster', user: 'me', remotePath: '/var/log/' },
    ])
  })

  it('refuses each invalid value, naming the key', () => {
    const cwd = dir()
    expect(refused(() => resolveSettings({ cwd, env: { SYNC_INTERVAL: 'often' } })).key).toBe('SYNC_INTERVAL')
    expect(refused(() => resolveSettings({ cwd, env: { SSH_PORT: '70000', SSH_HOST: 'h' } })).key).toBe('SSH_PORT')
    expect(refused(() => resolveSettings({ cwd, env: { LOG_LEVEL: 'loud' } })).message).toMatch(/LOG_LEVEL: must be one of/)
    const envFile = dir({ '.env': 'LOGFERRY_PORT=http\n' })
    const e1 = refused(() => resolveSettings({ cwd: envFile, env: {} }))
    expect(e1.key).toBe('LOGFERRY_PORT')
    expect(e1.file).toBe(join(envFile, '.env'))
    const bad = dir({ 'c.yaml': 'port: 8004\nsources:\n  - name: a\n    host: h\n    port: none\n' })
    const e2 = refused(() => resolveSettings({ cwd: bad, env: {}, config: 'c.yaml' }))
    expect(e2.key).toBe('sources[0].port')
    expect(e2.file).toBe(join(bad, 'c.yaml'))
    expect(e2.line).toBe(5)
    expect(refused(() => resolveSettings({ cwd, env: {}, port: 99999 })).key).toBe('port')
    expect(refused(() => resolveSettings({ cwd, env: {}, rules: [{ category: 'x', match: 'regex', pattern: '([' }] })).key).toBe('rules[0].pattern')
    expect(refused(() => resolveSettings({ cwd, env: {}, rules: [{ category: '../etc', match: 'substring', pattern: 'a' }] })).key).toBe('rules[0].category')
    expect(refused(() => resolveSettings({ cwd, env: {}, sources: [{ name: 'a', path: '/x' }, { name: 'a', path: '/y' }] })).key).toBe('sources[1].name')
    expect(refused(() => resolveSettings({ cwd, env: {}, sources: [{ name: 'a/b', path: '/x' }] })).key).toBe('sources[0].name')
    const unknown = refused(() => resolveSettings({ cwd, env: {}, config: join(dir({ 'u.yaml': 'syncIntervall: 5\n' }), 'u.yaml') }))
    expect(unknown.message).toMatch(/syncIntervall.*did you mean 'syncInterval'/)
  })

  it('binding a non-loopback address without a token is refused; with LOGFERRY_TOKEN it is allowed', () => {
    const cwd = dir()
    expect(refused(() => resolveSettings({ cwd, env: {}, host: '0.0.0.0' })).key).toBe('host')
    expect(resolveSettings({ cwd, env: { LOGFERRY_TOKEN: 't0ken' }, host: '0.0.0.0' })).toMatchObject({ host: '0.0.0.0', authToken: 't0ken' })
  })
})
