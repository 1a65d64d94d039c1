/**
 * Unknown and mistyped options on every public entry point: transferFiles, createUploader,
 * uploadFile, copy jobs (CopyJobRunner, LogManager.startCopy, the YAML `copy:` section),
 * LogManager configs (YAML and objects) and options, Logger / LoggerManager and
 * filesystem(config / URL). Each gets an error naming the key path, with a did-you-mean when a
 * known key is close, and the class and code that entry point throws for any bad option; valid
 * options are still accepted (and really used).
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  ConfigError,
  CopyJobRunner,
  LogManager,
  Logger,
  LoggerManager,
  MemoryFileSystem,
  S3FileSystem,
  SftpFileSystem,
  StorageError,
  createUploader,
  filesystem,
  readLogFile,
  transferFiles,
  uploadFile,
  type CopyJobOptions,
  type LoggerOptions,
  type TransferOptions,
} from '../../ts/index.js'

const root = mkdtempSync(join(tmpdir(), 'logferry-options-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let dirs = 0
const dir = (): string => mkdtempSync(join(root, `${++dirs}-`))

function thrown(f: () => unknown): Error & { code?: string; key?: string; line?: number; column?: number } {
  try {
    f()
  } catch (e) {
    return e as Error & { code?: string }
  }
  throw new Error('expected a throw')
}

async function rejected(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p
  } catch (e) {
    return e as Error & { code?: string }
  }
  throw new Error('expected a rejection')
}

describe('transferFiles', () => {
  const base = (): TransferOptions => ({ source: new MemoryFileSystem(), files: '*', target: new MemoryFileSystem() })
  const cases: [Record<string, unknown>, 'TypeError' | 'RangeError', string][] = [
    [{ retrys: 5 }, 'RangeError', "unknown option 'retrys' (did you mean 'retries'?)"],
    [{ retryDelays: 5 }, 'RangeError', "unknown option 'retryDelays' (did you mean 'retryDelay'?)"],
    [{ bandwithLimit: '1MB/s' }, 'RangeError', "unknown option 'bandwithLimit' (did you mean 'bandwidthLimit'?)"],
    [{ colour: 'red' }, 'RangeError', "unknown option 'colour'"],
    [{ hadoop: { namnode: 'hdfs://nn:8020' } }, 'RangeError', "unknown option 'hadoop.namnode' (did you mean 'hadoop.namenode'?)"],
    [{ scp: { strictHostKeyCheking: 'no' } }, 'RangeError', "unknown option 'scp.strictHostKeyCheking' (did you mean 'scp.strictHostKeyChecking'?)"],
    [{ hadoop: { namenode: 'http://nn:9870' } }, 'RangeError', "hadoop.namenode must be a NameNode address like 'hdfs://host:port', got \"http://nn:9870\""],
    [{ hadoop: { env: { A: 1 } } }, 'TypeError', 'hadoop.env.A must be a string, got 1'],
    [{ hadoop: { timeoutMs: 0 } }, 'RangeError', 'hadoop.timeoutMs must be a finite number of ms > 0, got 0'],
    [{ scp: { strictHostKeyChecking: 'Yes' } }, 'RangeError', "scp.strictHostKeyChecking must be one of 'yes', 'no', 'accept-new', got 'Yes' (did you mean 'yes'?)"],
    [{ overwrite: 'ifchanged' }, 'RangeError', "overwrite must be one of 'ifChanged', 'always', 'never', got 'ifchanged' (did you mean 'ifChanged'?)"],
    [{ method: 'hdfs_put' }, 'RangeError', "(did you mean 'hdfs-put'?)"],
    [{ retries: '3' }, 'TypeError', 'retries must be an integer >= 0, got "3"'],
    [{ signal: {} }, 'TypeError', 'signal must be an AbortSignal, got {}'],
    [{ files: ['a', ''] }, 'TypeError', 'files[1] must be a non-empty string'],
    [{ files: { source: new MemoryFileSystem(), paths: '*', recursive: true } }, 'RangeError', "unknown option 'files.recursive'"],
    [{ files: { planned: [{ path: 'a', size: 1, mtimes: new Date() }] } }, 'RangeError', "unknown option 'files.planned[0].mtimes' (did you mean 'files.planned[0].mtime'?)"],
    [{ target: { protocol: 's3', bucket: 'b', regoin: 'eu-west-1' } }, 'TypeError', "target is not a valid filesystem: EINVAL: filesystem (unknown option 'regoin' (did you mean 'region'?))"],
  ]
  for (const [extra, name, message] of cases) {
    it(`${JSON.stringify(extra)} -> ${name} ERR_INVALID_ARG`, async () => {
      const e = await rejected(transferFiles({ ...base(), ...extra } as TransferOptions))
      expect(e.name).toBe(name)
      expect(e.code).toBe('ERR_INVALID_ARG')
      expect(e.message).toContain(message)
    })
  }

  it('still accepts valid options and uses them', async () => {
    const src = new MemoryFileSystem()
    const dst = new MemoryFileSystem()
    await src.writeFile('logs/a.log', 'alpha')
    const progress: number[] = []
    const r = await transferFiles({
      source: src,
      files: ['logs/*.log'],
      target: dst,
      method: 'storage',
      retries: 0,
      retryDelay: 0,
      overwrite: 'always',
      bandwidthLimit: '100MB/s',
      hadoop: { namenode: 'hdfs://nn:8020/', env: { A: 'b' } },
      scp: { strictHostKeyChecking: 'accept-new' },
      signal: new AbortController().signal,
      onProgress: (p) => progress.push(p.filesDone),
    })
    expect(r.totals).toMatchObject({ files: 1, copied: 1, failed: 0 })
    expect((await dst.readFile('a.log')).toString()).toBe('alpha')
    expect(progress.at(-1)).toBe(1)
  })
})

describe('createUploader', () => {
  const ok = () => ({ target: new MemoryFileSystem(), stateDir: dir() })
  const cases: [Record<string, unknown>, 'TypeError' | 'RangeError', string][] = [
    [{ maxRetry: 3 }, 'RangeError', "unknown uploader option 'maxRetry' (did you mean 'maxRetries'?)"],
    [{ chunk_size: 5 }, 'RangeError', "unknown uploader option 'chunk_size' (did you mean 'chunkSize'?)"],
    [{ statedir: '/tmp/x' }, 'RangeError', "unknown uploader option 'statedir' (did you mean 'stateDir'?)"],
    [{ parallelFiles: 65 }, 'RangeError', 'uploader option parallelFiles must be an integer from 1 to 64, got 65'],
    [{ scanExisting: 1 }, 'TypeError', 'uploader option scanExisting must be true or false, got 1'],
    [{ target: 5 }, 'TypeError', 'uploader option target must be a FileSystem, URL or storage config, got 5'],
  ]
  for (const [extra, name, message] of cases) {
    it(`${JSON.stringify(extra)} -> ${name} ERR_INVALID_CONFIG`, () => {
      const e = thrown(() => createUploader({ ...ok(), ...extra } as never))
      expect(e.name).toBe(name)
      expect(e.code).toBe('ERR_INVALID_CONFIG')
      expect(e.message).toBe(message)
    })
  }

  it('a bad storage config in target is named when the uploader builds it', () => {
    const e = thrown(() => createUploader({ ...ok(), target: { protocol: 'memory', nmae: 'x' } as never }))
    expect(e).toBeInstanceOf(StorageError)
    expect(e.code).toBe('EINVAL')
    expect(e.message).toContain("unknown option 'nmae' (did you mean 'name'?)")
  })

  it('still accepts valid options and uses them', async () => {
    const target = new MemoryFileSystem()
    const local = join(dir(), 'app_2026-01-02_03-04-05.log')
    writeFileSync(local, 'payload\n')
    const u = createUploader({ target, stateDir: dir(), objectPrefix: 'p/', objectName: '{event}-{date}{ext}', maxRetries: 0, retryDelay: 0, scanExisting: false })
    await u.enqueue(local)
    await u.drain()
    await u.close()
    expect((await target.readFile('p/app-2026-01-02.log')).toString()).toBe('payload\n')
  })
})

describe('Uploader.close and readLogFile', () => {
  it('name unknown and mistyped options too', async () => {
    const u = createUploader({ target: new MemoryFileSystem(), stateDir: dir() })
    const e = await rejected(u.close({ timeot: 5 } as never))
    expect(e).toMatchObject({ name: 'RangeError', code: 'ERR_INVALID_CONFIG', message: "unknown close option 'timeot' (did you mean 'timeout'?)" })
    expect((await rejected(u.close({ timeout: '5s' } as never))).message).toBe('close option timeout must be a number of ms, got "5s"')
    await u.close({ timeout: 1000 })
    await expect(u.enqueue('/nonexistent')).rejects.toMatchObject({ code: 'ERR_UPLOADER_CLOSED' })

    const d = dir()
    const l = new Logger({ logFilePath: join(d, 'r.log'), preallocateFileSize: 0 })
    l.log('one')
    await l.close()
    const file = join(d, readdirSync(d)[0] as string)
    const bad = await rejected((async () => {
      for await (const _ of readLogFile(file, { onTorntail: () => undefined } as never)) void _
    })())
    expect(bad).toMatchObject({ name: 'RangeError', code: 'ERR_INVALID_CONFIG', message: "unknown option 'onTorntail' (did you mean 'onTornTail'?)" })
    const records: string[] = []
    for await (const r of readLogFile(file, { onTornTail: () => undefined })) records.push(r.toString())
    expect(records).toEqual(['one'])
  })
})

describe('uploadFile', () => {
  it('rejects unknown and mistyped options with ERR_INVALID_CONFIG naming them', async () => {
    const fs = new MemoryFileSystem()
    const local = join(dir(), 'f.bin')
    writeFileSync(local, 'x')
    const cases: [Record<string, unknown>, 'TypeError' | 'RangeError', string][] = [
      [{ retry: 2 }, 'RangeError', "unknown option 'retry' (did you mean 'retries'?)"],
      [{ chunksize: 1024 }, 'RangeError', "unknown option 'chunksize' (did you mean 'chunkSize'?)"],
      [{ onRetry: 'log' }, 'TypeError', 'onRetry must be a function, got "log"'],
      [{ strategy: {} }, 'TypeError', 'strategy must be a ChunkedUploadStrategy, got {}'],
      [{ retryDelay: -1 }, 'RangeError', 'retryDelay must be an integer >= 0, got -1'],
    ]
    for (const [extra, name, message] of cases) {
      const e = await rejected(uploadFile(fs, local, 'f.bin', extra as never))
      expect(e.name, JSON.stringify(extra)).toBe(name)
      expect(e.code, JSON.stringify(extra)).toBe('ERR_INVALID_CONFIG')
      expect(e.message, JSON.stringify(extra)).toBe(message)
    }
    expect(await fs.exists('f.bin')).toBe(false)
    const r = await uploadFile(fs, local, 'f.bin', { chunkSize: 1024, concurrency: 2, retries: 1, retryDelay: 1, signal: new AbortController().signal, onRetry: () => undefined })
    expect(r).toMatchObject({ size: 1, method: 'put' })
    expect((await fs.readFile('f.bin')).toString()).toBe('x')
  })
})

describe('copy jobs', () => {
  const ok = (): CopyJobOptions => ({ name: 'ok', localPattern: '/tmp/*.log', destination: new MemoryFileSystem(), runOnStart: false })
  const cases: [Record<string, unknown>, string, string][] = [
    [{ maxRetry: 1 }, 'maxRetry', "maxRetry: is not a copy job option (did you mean 'maxRetries'?)"],
    [{ intervall: 5 }, 'intervall', "intervall: is not a copy job option (did you mean 'interval'?)"],
    [{ statepath: '/tmp/s.json' }, 'statepath', "statepath: is not a copy job option (did you mean 'statePath'?)"],
    [{ verify: 'no' }, 'verify', 'verify: must be true or false, got "no"'],
    [{ settleTime: -1 }, 'settleTime', 'settleTime: must be an integer from 0 to 2147483647, got -1'],
    [{ destination: { protocol: 's3', bucket: 'b', endpont: 'http://127.0.0.1:1' } }, 'destination', "(unknown option 'endpont' (did you mean 'endpoint'?))"],
  ]
  it('CopyJobRunner.start and LogManager.startCopy name the key, with ConfigError ERR_INVALID_CONFIG', async () => {
    const runner = new CopyJobRunner()
    const manager = new LogManager({})
    for (const [extra, key, message] of cases) {
      for (const start of [(o: CopyJobOptions) => runner.start(o), (o: CopyJobOptions) => manager.startCopy(o)]) {
        const e = thrown(() => start({ ...ok(), ...extra } as CopyJobOptions))
        expect(e, JSON.stringify(extra)).toBeInstanceOf(ConfigError)
        expect(e.code).toBe('ERR_INVALID_CONFIG')
        expect(e.key).toBe(key)
        expect(e.message).toContain(message)
      }
    }
    expect(runner.list()).toEqual([])
    runner.start({ ...ok(), maxRetries: 0, retryDelay: 10, settleTime: 0, verify: false })
    expect(runner.list().map((j) => j.name)).toEqual(['ok'])
    await runner.stopAll()
    await manager.close()
  })

  it('stopCopy, stopAllCopies and the CopyJobRunner constructor check their options too', async () => {
    expect(thrown(() => new CopyJobRunner({ keepalive: true } as never))).toMatchObject({
      code: 'ERR_INVALID_CONFIG',
      key: 'keepalive',
      message: "keepalive: is not a CopyJobRunner option (did you mean 'keepAlive'?)",
    })
    const runner = new CopyJobRunner({ keepAlive: false, defaultStateDir: dir() })
    runner.start(ok())
    for (const stop of [() => runner.stop('ok', { timout: 5 } as never), () => runner.stopAll({ timout: 5 } as never)]) {
      const e = await rejected(stop())
      expect(e).toBeInstanceOf(ConfigError)
      expect(e.message).toBe("timout: is not a stopCopy option (did you mean 'timeout'?)")
    }
    expect((await rejected(runner.stop('ok', { timeout: -1 }))).message).toBe('timeout: must be a finite number of ms >= 0, got -1')
    expect(runner.list().map((j) => j.name)).toEqual(['ok'])
    expect(await runner.stop('ok', { timeout: 1000 })).toBe(true)
    expect(runner.list()).toEqual([])
  })

  it('the YAML copy section names the job and the key, with line and column', () => {
    const yaml = 'copy:\n  - name: j\n    local_pattern: /tmp/*.log\n    destination: memory://x\n    max_retrys: 2\n'
    const e = thrown(() => LogManager.fromYaml(yaml, { file: 'c.yaml' }))
    expect(e).toBeInstanceOf(ConfigError)
    expect(e).toMatchObject({ code: 'ERR_INVALID_CONFIG', key: 'copy[0].max_retrys', line: 5, column: 5 })
    expect(e.message).toBe("c.yaml:5:5: copy[0].max_retrys: is not a copy job option (did you mean 'maxRetries'?)")
  })
})

describe('LogManager config and options', () => {
  it('names nested unknown keys with a did-you-mean, in YAML (with line:column) and in objects', () => {
    const sink = join(dir(), 'a.log')
    const yaml = `handlers:\n  app:\n    sink: ${sink}\n    rotaton: 10 MB\n`
    const e = thrown(() => LogManager.fromYaml(yaml, { file: 'c.yaml' }))
    expect(e).toBeInstanceOf(ConfigError)
    expect(e).toMatchObject({ code: 'ERR_INVALID_CONFIG', key: 'handlers.app.rotaton', line: 4, column: 5 })
    expect(e.message).toContain("c.yaml:4:5: handlers.app.rotaton: is not a known key (expected one of: sink, format, level, rotation, retention, bufferSize, flushInterval, json) (did you mean 'handlers.app.rotation'?)")

    const cases: [Record<string, unknown>, string, string][] = [
      [{ handlers: { app: { sink, levle: 'info' } } }, 'handlers.app.levle', "(did you mean 'handlers.app.level'?)"],
      [{ handler: {} }, 'handler', "(did you mean 'handlers'?)"],
      [{ handlers: { app: { sink } }, loggers: { main: { handlers: ['app'], levels: 'info' } } }, 'loggers.main.levels', "(did you mean 'loggers.main.level'?)"],
      [{ handlers: { app: { sink } }, loggers: { main: [{ handler: 'app', lvl: 'info' }] } }, 'loggers.main[0].lvl', 'is not a known key (expected one of: handler, level)'],
      [{ handlers: { app: { sink, bufferSize: '1 furlong' } } }, 'handlers.app.bufferSize', '"1 furlong" is not a size like "10 MB"'],
      [{ autoStartCopy: 'yes' }, 'autoStartCopy', 'must be true or false, got "yes"'],
    ]
    for (const [config, key, message] of cases) {
      const err = thrown(() => new LogManager(config as never))
      expect(err, JSON.stringify(config)).toBeInstanceOf(ConfigError)
      expect(err.code).toBe('ERR_INVALID_CONFIG')
      expect(err.key).toBe(key)
      expect(err.message).toContain(`${key}: `)
      expect(err.message).toContain(message)
    }
    expect(readdirSync(dirnameOf(sink))).toEqual([])
  })

  it('checks its own options too, and still accepts valid ones', async () => {
    const e = thrown(() => new LogManager({}, { autoStartCopys: false } as never))
    expect(e).toMatchObject({ code: 'ERR_INVALID_CONFIG', key: 'autoStartCopys' })
    expect(e.message).toBe("autoStartCopys: is not a LogManager option (did you mean 'autoStartCopy'?)")
    expect(thrown(() => new LogManager({}, { onWarning: 'stderr' } as never)).message).toBe('onWarning: must be a function, got "stderr"')
    const sink = join(dir(), 'ok.log')
    const m = LogManager.fromYaml(`handlers:\n  app:\n    sink: ${sink}\n    rotation: 10 MB\n    retention: 3 files\nloggers:\n  main:\n    handlers: [app]\n`, { autoStartCopy: false, onWarning: () => undefined })
    m.getLogger('main').info('hello')
    await m.close()
  })
})

const dirnameOf = (p: string): string => p.slice(0, p.lastIndexOf('/'))

describe('Logger and LoggerManager', () => {
  const cases: [Record<string, unknown>, 'TypeError' | 'RangeError', string][] = [
    [{ bufferSzie: 4096 }, 'RangeError', "unknown option 'bufferSzie' (did you mean 'bufferSize'?)"],
    [{ numshards: 2 }, 'RangeError', "unknown option 'numshards' (did you mean 'numShards'?)"],
    [{ flushIntervalMs: 100 }, 'RangeError', "unknown option 'flushIntervalMs' (did you mean 'flushInterval'?)"],
    [{ format: 'Text' }, 'RangeError', "format must be one of 'text', 'framed', got 'Text' (did you mean 'text'?)"],
    [{ onFull: 'dorp' }, 'RangeError', "(did you mean 'drop'?)"],
    [{ numShards: '8' }, 'TypeError', 'numShards must be an integer from 1 to 1024, got "8"'],
  ]
  for (const [extra, name, message] of cases) {
    it(`${JSON.stringify(extra)} -> ${name} ERR_INVALID_CONFIG, nothing created`, () => {
      const d = dir()
      const opts = { logFilePath: join(d, 'x.log'), ...extra } as unknown as LoggerOptions
      for (const make of [() => new Logger(opts), () => new LoggerManager(opts)]) {
        const e = thrown(make)
        expect(e.name).toBe(name)
        expect(e.code).toBe('ERR_INVALID_CONFIG')
        expect(e.message).toContain(message)
      }
      expect(readdirSync(d)).toEqual([])
    })
  }

  it('still accepts valid options', async () => {
    const d = dir()
    const l = new Logger({ logFilePath: join(d, 'ok.log'), bufferSize: 64 * 1024, numShards: 2, format: 'framed', onFull: 'block', preallocateFileSize: 0, directIo: false })
    l.log('fine')
    await l.close()
    expect(readdirSync(d).filter((n) => n.startsWith('ok'))).toHaveLength(1)
  })
})

describe('filesystem(config) and filesystem(url)', () => {
  const cases: [Parameters<typeof filesystem>[0], string][] = [
    [{ protocol: 's3', bucket: 'b', regoin: 'eu-west-1' } as never, "unknown option 'regoin' (did you mean 'region'?)"],
    ['s3://b/prefix?endpiont=http://127.0.0.1:9', "unknown option 'endpiont' (did you mean 'endpoint'?)"],
    ['gs://b/p?projectID=x', "unknown option 'projectID' (did you mean 'projectId'?)"],
    [{ protocol: 'sftp', host: 'h', usename: 'u' } as never, "unknown option 'usename' (did you mean 'username'?)"],
    [{ protocol: 'sftp', host: 'h', port: 'ssh' } as never, 'port must be an integer >= 1, got "ssh"'],
    ['sftp://u@host/srv?readyTimeoutMs=soon', 'readyTimeoutMs must be an integer >= 1, got "soon"'],
    [{ protocol: 'webhdfs', url: 'http://nn:9870', usr: 'hdfs' } as never, "unknown option 'usr' (did you mean 'user'?)"],
    [{ protocol: 'az', container: 'c', acountName: 'a' } as never, "unknown option 'acountName' (did you mean 'accountName'?)"],
    [{ protocol: 'memory', readOnly: 'yes' } as never, 'readOnly must be true or false, got "yes"'],
    [{ protocol: 's3' } as never, 'bucket is required (the bucket)'],
    [{ protocol: 'file', rooot: '/tmp' } as never, "unknown option 'rooot' (did you mean 'root'?)"],
  ]
  for (const [spec, message] of cases) {
    it(`${JSON.stringify(spec)} -> StorageError EINVAL`, () => {
      const e = thrown(() => filesystem(spec))
      expect(e).toBeInstanceOf(StorageError)
      expect(e.code).toBe('EINVAL')
      expect(e.message).toBe(`EINVAL: filesystem (${message})`)
    })
  }

  it('still accepts valid configs and URL query options (numbers and booleans from the query)', async () => {
    const s3 = filesystem('s3://bucket/p?endpoint=http://127.0.0.1:9&region=eu-west-1&maxAttempts=2&forcePathStyle=true')
    expect(s3).toBeInstanceOf(S3FileSystem)
    expect(await (s3 as S3FileSystem).client.config.region()).toBe('eu-west-1')
    expect(await (s3 as S3FileSystem).client.config.maxAttempts()).toBe(2)
    expect(filesystem('sftp://u@h:2222/srv?readyTimeoutMs=500&remoteChecksum=false')).toBeInstanceOf(SftpFileSystem)
    const ro = filesystem({ protocol: 'memory', readOnly: true, name: `ro-${process.pid}` })
    await expect(ro.writeFile('x', 'y')).rejects.toMatchObject({ code: 'EACCES' })
  })
})
