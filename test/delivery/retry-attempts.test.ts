/**
 * Attempt counting (docs/delivery.md, "Retries"): a store that always fails transiently is called
 * exactly the documented number of times per request, at every entry point, and at the SDK level
 * real S3, GCS and Azure clients against a loopback server that always answers 503 send exactly
 * the documented number of HTTP requests. Permanent errors are tried once.
 */
import { writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_RETRIES, DEFAULT_RETRY_DELAY_MS, MAX_RETRY_DELAY_MS, attempt, isRetryable, jitteredDelay, retry } from '../../ts/delivery/retry.js'
import {
  AzureBlobFileSystem,
  CommandError,
  CopyJobRunner,
  GcsFileSystem,
  MemoryFileSystem,
  S3FileSystem,
  StorageError,
  TransferError,
  createUploader,
  transferFiles,
  uploadFile,
  type FileInfo,
  type LsOptions,
  type WriteOptions,
} from '../../ts/index.js'
import type { ChunkedUploadStrategy } from '../../ts/storage/chunked-strategy.js'
import { invalidArg } from '../../ts/transfer/errors.js'
import { tempDir, writeTree } from '../copy/helpers.js'

const down = (path: string): StorageError => new StorageError('ETRANSIENT', { backend: 'memory', path, detail: 'injected: the store is down' })

/** A real memory store whose every write (stream, put, writeFile) fails transiently; counted. */
class DownStore extends MemoryFileSystem {
  writes = 0
  override createWriteStream(path: string, _options?: WriteOptions): Writable {
    this.writes++
    const err = down(path)
    return new Writable({
      write: (_chunk, _enc, cb) => cb(err),
      final: (cb) => cb(err),
    })
  }
  override async put(_localPath: string, remotePath: string): Promise<void> {
    this.writes++
    throw down(remotePath)
  }
  override async writeFile(path: string): Promise<void> {
    this.writes++
    throw down(path)
  }
}

/** A memory store whose listings fail transiently; counted. */
class UnlistableStore extends MemoryFileSystem {
  listings = 0
  override async ls(path: string, _options?: LsOptions): Promise<FileInfo[]> {
    this.listings++
    throw down(path)
  }
}

describe('the classifier', () => {
  it('calls transient what the layers below call transient, and everything else permanent', () => {
    expect(isRetryable(down('x'))).toBe(true)
    for (const code of ['ENOENT', 'EACCES', 'EEXIST', 'EIO'] as const) expect(isRetryable(new StorageError(code, { backend: 'memory', path: 'x' }))).toBe(false)
    const command = (stderr: string): CommandError => new CommandError('hadoop failed', { command: 'hadoop', exitCode: 1, stderr, transient: null })
    expect(isRetryable(command('java.net.ConnectException: Connection refused'))).toBe(true)
    expect(isRetryable(command('put: `/x`: No such file or directory'))).toBe(false)
    expect(isRetryable(new TransferError('ERR_VERIFY_FAILED', 'sha256 differs'))).toBe(false)
    expect(isRetryable(invalidArg('range', 'retries must be >= 0'))).toBe(false)
    // Raw errors (an SDK's, a socket's): the low-level rules of storage/transient.ts.
    expect(isRetryable(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true)
    expect(isRetryable(Object.assign(new Error('Service Unavailable'), { $metadata: { httpStatusCode: 503 } }))).toBe(true)
    expect(isRetryable(Object.assign(new Error('Forbidden'), { $metadata: { httpStatusCode: 403 } }))).toBe(false)
    expect(isRetryable(Object.assign(new Error("ENOENT: no such file or directory, open '/x'"), { code: 'ENOENT' }))).toBe(false)
    expect(isRetryable(new DOMException('This operation was aborted', 'AbortError'))).toBe(false)
  })

  it('tries a permanent error once, a transient one retries + 1 times, and counts the attempts', async () => {
    let calls = 0
    const permanent = await attempt(async () => {
      calls++
      throw new StorageError('EACCES', { backend: 'memory', path: 'x' })
    }, { retries: 5, retryDelay: 0 })
    expect(permanent).toMatchObject({ ok: false, attempts: 1 })
    expect(calls).toBe(1)

    calls = 0
    const retried: number[] = []
    const transient = await attempt(async () => {
      calls++
      throw down('x')
    }, { retries: 3, retryDelay: 1, onRetry: (_e, n) => retried.push(n) })
    expect(transient).toMatchObject({ ok: false, attempts: 4 })
    expect(calls).toBe(4)
    expect(retried).toEqual([1, 2, 3])

    const ok = await retry(async (n) => {
      if (n < 3) throw down('x')
      return 'done'
    }, { retries: 3, retryDelay: 1 })
    expect(ok).toEqual({ value: 'done', attempts: 3 })
    await expect(retry(async () => Promise.reject(down('x')), { retries: 0, retryDelay: 0 })).rejects.toMatchObject({ code: 'ETRANSIENT' })
  })

  it('waits a full-jitter delay, capped, and stops waiting and retrying when aborted', async () => {
    expect(DEFAULT_RETRIES).toBe(3)
    expect(DEFAULT_RETRY_DELAY_MS).toBe(1000)
    expect(jitteredDelay(1, 100, () => 0)).toBe(0)
    expect(jitteredDelay(1, 100, () => 0.999999)).toBe(99)
    expect(jitteredDelay(4, 100, () => 0.999999)).toBe(799)
    expect(jitteredDelay(40, 100, () => 0.999999)).toBe(MAX_RETRY_DELAY_MS - 1)
    const ac = new AbortController()
    let calls = 0
    const t0 = Date.now()
    setTimeout(() => ac.abort(new Error('stop')), 50)
    const r = await attempt(async () => {
      calls++
      throw down('x')
    }, { retries: 10, retryDelay: 60_000, signal: ac.signal })
    expect(Date.now() - t0).toBeLessThan(10_000)
    expect(r).toMatchObject({ ok: false, attempts: 1 })
    expect(calls).toBe(1)
  })
})

describe('attempts per request against a store that is always down', () => {
  const R = 2

  it('transferFiles: each file is copied at most retries + 1 times (streamed copies are retried per file)', async () => {
    const source = new MemoryFileSystem()
    await source.writeFile('logs/a.log', 'alpha\n')
    await source.writeFile('logs/b.log', 'bravo\n')
    const target = new DownStore()
    const r = await transferFiles({ source, files: 'logs/*.log', target, method: 'storage', overwrite: 'always', retries: R, retryDelay: 1 })
    expect(r.ok).toBe(false)
    expect(r.files.map((f) => [f.source, f.outcome, f.attempts])).toEqual([
      ['logs/a.log', 'failed', R + 1],
      ['logs/b.log', 'failed', R + 1],
    ])
    expect(target.writes).toBe(2 * (R + 1))
  })

  it('transferFiles: a listing of the source is one request, tried retries + 1 times', async () => {
    const source = new UnlistableStore()
    await expect(transferFiles({ source, files: 'logs/*.log', target: new MemoryFileSystem(), retries: R, retryDelay: 1 })).rejects.toMatchObject({ code: 'ETRANSIENT' })
    expect(source.listings).toBe(R + 1)
  })

  it('transferFiles: a permanent failure is tried once', async () => {
    const source = new MemoryFileSystem()
    await source.writeFile('a.log', 'alpha\n')
    const target = new (class extends MemoryFileSystem {
      writes = 0
      override createWriteStream(path: string): Writable {
        this.writes++
        const err = new StorageError('EACCES', { backend: 'memory', path })
        return new Writable({ write: (_c, _e, cb) => cb(err), final: (cb) => cb(err) })
      }
    })()
    const r = await transferFiles({ source, files: 'a.log', target, method: 'storage', overwrite: 'always', retries: 5, retryDelay: 1 })
    expect(r.files[0]).toMatchObject({ outcome: 'failed', attempts: 1 })
    expect(target.writes).toBe(1)
  })

  it('uploadFile: a single put is tried retries + 1 times', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'small.log'), 'small\n')
    const target = new DownStore()
    const retried: (number | undefined)[] = []
    await expect(uploadFile(target, join(dir, 'small.log'), 'small.log', { retries: R, retryDelay: 1, onRetry: (_e, _a, part) => retried.push(part) })).rejects.toMatchObject({ code: 'ETRANSIENT' })
    expect(target.writes).toBe(R + 1)
    expect(retried).toEqual([undefined, undefined])
  })

  it('uploadFile: one chunk is tried retries + 1 times per session, and a failed session is begun again once: 2 x (retries + 1)', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'big.log'), Buffer.alloc(4096, 7))
    const log = { begins: 0, aborts: 0, parts: new Map<number, number>() }
    const strategy = (fail: (path: string) => StorageError): ChunkedUploadStrategy => ({
      name: 'always-down',
      minPartSize: 1,
      maxParts: 10_000,
      async begin() {
        log.begins++
        return {
          async uploadPart(index) {
            log.parts.set(index, (log.parts.get(index) ?? 0) + 1)
            throw fail(`part-${index}`)
          },
          async complete() {
            throw new Error('never reached')
          },
          async abort() {
            log.aborts++
          },
        }
      },
    })
    const target = new MemoryFileSystem()
    const opts = { chunkSize: 1024, concurrency: 2, retries: R, retryDelay: 1 }
    await expect(uploadFile(target, join(dir, 'big.log'), 'big.log', { ...opts, strategy: strategy(down) })).rejects.toMatchObject({ code: 'ETRANSIENT' })
    // Two workers: parts 0 and 1 each tried retries + 1 times, the session aborted and begun again
    // once, the same again, then the upload fails.
    expect([...log.parts.entries()].sort()).toEqual([[0, 2 * (R + 1)], [1, 2 * (R + 1)]])
    expect(log).toMatchObject({ begins: 2, aborts: 2 })

    // 'No such upload' is permanent for the part (tried once), so the session is begun again, once.
    Object.assign(log, { begins: 0, aborts: 0, parts: new Map() })
    const lost = (p: string): StorageError => new StorageError('ENOENT', { backend: 'memory', path: p, detail: 'NoSuchUpload' })
    await expect(uploadFile(target, join(dir, 'big.log'), 'big.log', { ...opts, strategy: strategy(lost) })).rejects.toMatchObject({ code: 'ENOENT' })
    expect([...log.parts.entries()].sort()).toEqual([[0, 2], [1, 2]])
    expect(log).toMatchObject({ begins: 2, aborts: 2 })
    expect(await target.exists('big.log')).toBe(false)

    // A permanent failure of a part is tried once, in one session.
    Object.assign(log, { begins: 0, aborts: 0, parts: new Map() })
    const denied = (p: string): StorageError => new StorageError('EACCES', { backend: 'memory', path: p })
    await expect(uploadFile(target, join(dir, 'big.log'), 'big.log', { ...opts, strategy: strategy(denied) })).rejects.toMatchObject({ code: 'EACCES' })
    expect([...log.parts.entries()].sort()).toEqual([[0, 1], [1, 1]])
    expect(log).toMatchObject({ begins: 1, aborts: 1 })
  })

  it('the uploader: one pass over a file is maxRetries + 1 tries of its put; no second level; retryFailed makes another pass', async () => {
    const dir = tempDir()
    const file = join(dir, 'app_2026-01-02_18-55-02.log')
    writeFileSync(file, 'line\n')
    const target = new DownStore()
    const u = createUploader({ target, stateDir: join(dir, 'state'), maxRetries: R, retryDelay: 1, retryFailedInterval: 0 })
    const failed: number[] = []
    u.on('failed', (f) => failed.push(f.attempts))
    try {
      await u.enqueue(file)
      await u.drain()
      expect(u.stats()).toMatchObject({ failed: 1, successful: 0, pending: 0 })
      expect(target.writes).toBe(R + 1)
      await u.retryFailed()
      await u.drain()
      expect(target.writes).toBe(2 * (R + 1))
      expect(failed).toEqual([R + 1, 2 * (R + 1)])
    } finally {
      await u.close()
    }
  })

  it('a copy job run: each selected file is copied at most maxRetries + 1 times', async () => {
    const src = tempDir()
    writeTree(src, { 'a.log': 'alpha\n', 'sub/b.log': 'bravo\n' })
    const target = new DownStore()
    const runner = new CopyJobRunner({ defaultStateDir: join(src, '.state') })
    runner.start({ name: 'down', localPattern: `${src}/**/*.log`, destination: target, runOnStart: false, interval: 3_600_000, maxRetries: R, retryDelay: 1 })
    try {
      const r = await runner.runNow('down')
      expect(r).toMatchObject({ matched: 2, copied: 0, failed: 2 })
      expect(target.writes).toBe(2 * (R + 1))
    } finally {
      await runner.stopAll()
    }
  })
})

describe('attempts per request at the SDK level (a loopback server that always answers 503)', () => {
  let server: Server
  let requests = 0
  let endpoint = ''
  beforeAll(async () => {
    server = createServer((req, res) => {
      requests++
      req.resume()
      req.on('end', () => {
        res.writeHead(503, { 'content-type': 'application/xml', connection: 'close' })
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>down</Message></Error>')
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  const counted = async (fn: () => Promise<unknown>): Promise<number> => {
    requests = 0
    await expect(fn()).rejects.toMatchObject({ code: 'ETRANSIENT' })
    return requests
  }
  const s3 = (extra: { maxAttempts?: number } = {}): S3FileSystem =>
    new S3FileSystem({ bucket: 'b', endpoint, region: 'us-east-1', accessKeyId: 'k', secretAccessKey: 's', ...extra })
  const gcs = (extra: { maxRetries?: number } = {}): GcsFileSystem => new GcsFileSystem({ bucket: 'b', apiEndpoint: endpoint, projectId: 'test', ...extra })
  const azure = (extra: { maxTries?: number } = {}): AzureBlobFileSystem =>
    new AzureBlobFileSystem({
      endpoint: `${endpoint}/devstoreaccount1`,
      accountName: 'devstoreaccount1',
      accountKey: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
      container: 'c',
      ...extra,
    })
  /** A stat through the client left at its default sends one request, through the one with SDK retries set `set` sends `n`. */
  const statRequests = async (fs: Pick<S3FileSystem, 'stat' | 'close'>, set: Pick<S3FileSystem, 'stat' | 'close'>, n: number): Promise<void> => {
    try {
      expect(await counted(() => fs.stat('x.log'))).toBe(1)
      expect(await counted(() => set.stat('x.log'))).toBe(n)
    } finally {
      await fs.close()
      await set.close()
    }
  }

  it('S3: one request is one HTTP request by default (maxAttempts 1), maxAttempts when set', () => statRequests(s3(), s3({ maxAttempts: 3 }), 3))

  it('S3: uploadFile sends (retries + 1) x maxAttempts requests for a single put, transferFiles (retries + 1) per file', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'small.log'), 'small\n')
    const fs = s3()
    const set = s3({ maxAttempts: 2 })
    try {
      expect(await counted(() => uploadFile(fs, join(dir, 'small.log'), 'small.log', { retries: 2, retryDelay: 1 }))).toBe(3)
      expect(await counted(() => uploadFile(set, join(dir, 'small.log'), 'small.log', { retries: 1, retryDelay: 1 }))).toBe(4)
      requests = 0
      const r = await transferFiles({ source: `file://${dir}`, files: 'small.log', target: fs, method: 'storage', overwrite: 'always', retries: 2, retryDelay: 1 })
      expect(r.files[0]).toMatchObject({ outcome: 'failed', attempts: 3 })
      expect(requests).toBe(3)
    } finally {
      await fs.close()
      await set.close()
    }
  })

  it('GCS: one request is one HTTP request by default (maxRetries 0), maxRetries + 1 when set', () => statRequests(gcs(), gcs({ maxRetries: 1 }), 2), 30_000)

  it('Azure: one request is one HTTP request by default (maxTries 1), maxTries when set', () => statRequests(azure(), azure({ maxTries: 2 }), 2), 30_000)
})
