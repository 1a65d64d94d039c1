/**
 * createUploader attached to real loggers, uploading to real servers: every sealed file
 * arrives with identical bytes and every record, stats are exact, object names follow the
 * template, deleteAfterUpload, failed files kept in the state and retried, existing sealed
 * files picked up on attach without uploading anything twice.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { Logger, LoggerManager, createUploader, type UploadedFile, type Uploader } from '../../ts/index.js'
import { MemoryFileSystem, S3FileSystem, type FileSystem } from '../../ts/storage/index.js'
import { readUploaderState } from '../../ts/uploader/state-store.js'
import { freePort } from '../servers/process.js'
import { MiB, randomFile, scratchDir } from './helpers.js'
import { range, record, recordIds } from './records.js'
import { sha256File, targets, uploaderServers } from './targets.js'
import { inCI } from '../servers/ci.js'

const info = await uploaderServers()

const SEALED = /^app_\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}(_\d+)?\.log$/

function sealedFiles(dir: string, re = SEALED): string[] {
  return readdirSync(dir).filter((n) => re.test(n)).sort()
}

function collect(u: Uploader): UploadedFile[] {
  const out: UploadedFile[] = []
  u.on('uploaded', (f) => out.push(f))
  return out
}

for (const t of targets(info)) {
  // S3 parts are at least 5 MiB, so its files must be larger to be cut into chunks.
  const big = t.name === 's3'
  const maxFileSize = big ? 6 * MiB : 256 * 1024
  const chunkSize = big ? 5 * MiB : 64 * 1024
  const count = big ? 250_000 : 60_000

  describe.skipIf(t.missing !== undefined && !inCI)(`uploader -> ${t.name}`, () => {
    it('uploads every file a rotating Logger seals: identical bytes, every record once, exact stats', async () => {
      const dir = scratchDir()
      const fs = t.make()
      const uploader = createUploader({ target: fs, stateDir: join(dir, 'state'), objectPrefix: 'logs/', chunkSize, concurrency: 3, retryDelay: 50 })
      const uploaded = collect(uploader)
      const logger = new Logger({ logFilePath: join(dir, 'app.log'), maxFileSize, bufferSize: 64 * 1024, numShards: 2, preallocateFileSize: 0, flushInterval: 50 })
      const detach = uploader.attach(logger)
      try {
        for (let id = 0; id < count; id += 1000) logger.logBatch(range(Math.min(1000, count - id)).map((i) => record(id + i)))
        await logger.close()
        await uploader.drain()
        const files = sealedFiles(dir)
        expect(files.length).toBeGreaterThan(2)
        const sizes = files.map((n) => readFileSync(join(dir, n)).length)
        expect(uploader.stats()).toEqual({ totalFiles: files.length, successful: files.length, failed: 0, pending: 0, totalBytes: sizes.reduce((a, b) => a + b, 0) })
        expect(uploaded.map((u) => u.objectName).sort()).toEqual(files.map((n) => `logs/${n}`))
        // Files of several chunks really went up in chunks.
        expect(uploaded.some((u) => u.parts > 1 && u.method !== 'put')).toBe(true)
        const contents: Buffer[] = []
        for (const n of files) {
          const remote = await fs.readFile(`logs/${n}`)
          expect(remote.length).toBe(readFileSync(join(dir, n)).length)
          expect((await fs.checksum(`logs/${n}`, 'sha256')).value).toBe(await sha256File(join(dir, n)))
          contents.push(remote)
        }
        expect(recordIds(contents)).toEqual(range(count))
        expect(await t.rawList(fs)).toEqual(files.map((n) => `logs/${n}`))
        // Done: nothing left in the queue, every file in the done records.
        const state = readUploaderState(join(dir, 'state'))
        expect(state.queued).toEqual([])
        expect(state.done).toHaveLength(files.length)
      } finally {
        detach()
        await uploader.close()
        await fs.close()
      }
    })
  })
}

const gcs = targets(info).find((t) => t.name === 'gcs')
describe.skipIf(gcs?.missing !== undefined && !inCI)('uploader with a LoggerManager', () => {
  it('names objects {objectPrefix}{event}_{timestamp}.log and deletes local files after upload', async () => {
    const dir = scratchDir()
    const fs = gcs?.make() as FileSystem
    const manager = new LoggerManager({ logFilePath: join(dir, 'main.log'), maxFileSize: 64 * 1024, bufferSize: 16 * 1024, numShards: 1, preallocateFileSize: 0, flushInterval: 50 })
    const uploader = createUploader({ target: fs, stateDir: join(dir, 'state'), objectPrefix: 'prod/', chunkSize: 16 * 1024, deleteAfterUpload: true, retryDelay: 50 })
    const uploaded = collect(uploader)
    uploader.attach(manager)
    try {
      for (let id = 0; id < 8000; id++) manager.logWithEvent(id % 2 === 0 ? 'payment' : 'login', record(id))
      await manager.close()
      await uploader.drain()
      const names = uploaded.map((u) => u.objectName).sort()
      expect(names.length).toBeGreaterThan(4)
      for (const u of uploaded) {
        expect(u.objectName).toMatch(new RegExp(`^prod/${u.event}_\\d{4}-\\d{2}-\\d{2}_\\d{2}-\\d{2}-\\d{2}(_\\d+)?\\.log$`))
        expect(u.objectName.slice('prod/'.length)).toBe(u.path.split('/').pop())
        expect(existsSync(u.path)).toBe(false)
      }
      expect(new Set(uploaded.map((u) => u.event))).toEqual(new Set(['payment', 'login']))
      // Only the state directory is left locally.
      expect(readdirSync(dir).sort()).toEqual(['state'])
      const contents = await Promise.all(names.map((n) => fs.readFile(n)))
      expect(recordIds(contents)).toEqual(range(8000))
      const st = uploader.stats()
      expect(st).toEqual({ totalFiles: names.length, successful: names.length, failed: 0, pending: 0, totalBytes: contents.reduce((a, c) => a + c.length, 0) })
    } finally {
      await uploader.close()
      await fs.close()
    }
  })
})

describe('object names and options', () => {
  it('renders templates and functions from the seal stamp, event, date and name', async () => {
    const dir = scratchDir()
    const fs = new MemoryFileSystem()
    const a = join(dir, 'payment_2026-01-02_18-55-02.log')
    const b = join(dir, 'payment_2026-01-02_18-55-02_3.log')
    writeFileSync(a, 'one\n')
    writeFileSync(b, 'two\n')
    const u1 = createUploader({ target: fs, stateDir: join(dir, 's1'), objectPrefix: 'p/', objectName: '{date}/{event}/{name}' })
    await u1.enqueue(a)
    await u1.enqueue(b, 'pay')
    await u1.drain()
    await u1.close()
    expect((await fs.ls('p', { recursive: true })).filter((e) => e.kind === 'file').map((e) => e.path)).toEqual([
      'p/2026-01-02/pay/payment_2026-01-02_18-55-02_3.log',
      'p/2026-01-02/payment/payment_2026-01-02_18-55-02.log',
    ])
    const u2 = createUploader({ target: fs, stateDir: join(dir, 's2'), objectName: (x) => `fn/${x.event}-${x.timestamp}${x.ext}` })
    await u2.enqueue(b)
    await u2.drain()
    await u2.close()
    expect((await fs.readFile('fn/payment-2026-01-02_18-55-02_3.log')).toString()).toBe('two\n')
    // Default template: the `_n` of files sealed within one second keeps their names apart.
    const u3 = createUploader({ target: fs, stateDir: join(dir, 's3') })
    await u3.enqueue(a)
    await u3.enqueue(b)
    await u3.drain()
    await u3.close()
    expect((await fs.readFile('payment_2026-01-02_18-55-02.log')).toString()).toBe('one\n')
    expect((await fs.readFile('payment_2026-01-02_18-55-02_3.log')).toString()).toBe('two\n')
  })

  it('rejects bad options with ERR_INVALID_CONFIG naming the key', () => {
    const ok = { target: new MemoryFileSystem(), stateDir: scratchDir() }
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ stateDir: undefined }, /stateDir/],
      [{ target: undefined }, /target/],
      [{ chunkSize: 0 }, /chunkSize/],
      [{ concurrency: 2.5 }, /concurrency/],
      [{ maxRetries: -1 }, /maxRetries/],
      [{ retryDelay: 'slow' }, /retryDelay/],
      [{ deleteAfterUpload: 'yes' }, /deleteAfterUpload/],
      [{ objectName: '{event}_{hour}.log' }, /objectName.*\{hour\}/],
      [{ objectName: 42 }, /objectName/],
      [{ chunksize: 5 }, /chunksize/],
    ]
    for (const [patch, re] of bad) {
      expect(() => createUploader({ ...ok, ...patch } as never), JSON.stringify(patch)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG', message: expect.stringMatching(re) }))
    }
  })

  it('refuses a bad attach source and use after close with coded errors', async () => {
    const u = createUploader({ target: new MemoryFileSystem(), stateDir: scratchDir() })
    expect(() => u.attach({} as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }))
    await u.close()
    await expect(u.enqueue('/nonexistent')).rejects.toMatchObject({ code: 'ERR_UPLOADER_CLOSED' })
  })

  it('refuses a state directory another live uploader holds', async () => {
    const stateDir = scratchDir()
    const u1 = createUploader({ target: new MemoryFileSystem(), stateDir })
    await u1.ready()
    const u2 = createUploader({ target: new MemoryFileSystem(), stateDir })
    await expect(u2.ready()).rejects.toMatchObject({ code: 'ERR_INVALID_CONFIG', message: expect.stringMatching(/stateDir.*in use/) })
    await u1.close()
    await u2.close()
  })
})

describe.skipIf(!info.s3 && !inCI)('target down', () => {
  const s3At = (port: number, bucket: string): S3FileSystem =>
    new S3FileSystem({ bucket, endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', accessKeyId: 'k', secretAccessKey: 's', prefix: 'down', maxAttempts: 1 })

  it('finishes a chunked upload when the server is killed in the middle and restarted', async () => {
    const { startS3 } = await import('../servers/s3.js')
    const port = await freePort()
    let server = await startS3({ port, bucket: 'restart-bucket' })
    const dir = scratchDir()
    const file = await randomFile(60 * MiB, dir)
    const fs = s3At(port, 'restart-bucket')
    // One retry level now (per request, a lost session restarted once): retryDelay 500 gives each
    // request ~16 s of expected backoff, enough for the restart below even on a loaded machine.
    const u = createUploader({ target: fs, stateDir: join(dir, 'state'), objectName: 'big.bin', chunkSize: 5 * MiB, concurrency: 1, maxRetries: 6, retryDelay: 500 })
    const done = collect(u)
    try {
      await u.enqueue(file)
      // Kill the server as soon as the multipart upload exists, then bring it back on the same port.
      const s3 = fs as S3FileSystem
      for (;;) {
        const r = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: 'restart-bucket' }))
        if ((r.Uploads ?? []).length > 0) break
        expect(u.stats().successful).toBe(0) // the upload must not have finished before the kill
        await new Promise((r) => setTimeout(r, 10))
      }
      await server.kill()
      await new Promise((r) => setTimeout(r, 300))
      server = await startS3({ port, bucket: 'restart-bucket' })
      await u.drain()
      expect(u.stats()).toEqual({ totalFiles: 1, successful: 1, failed: 0, pending: 0, totalBytes: 60 * MiB })
      console.log(`[uploader] server restart: ${done[0]?.attempts} file attempts, ${done[0]?.chunkRetries} chunk retries`)
      // The restarted server lost the multipart upload: chunk retries, then a second attempt of the file.
      expect((done[0]?.attempts ?? 0) > 1 || (done[0]?.chunkRetries ?? 0) > 0).toBe(true)
      expect((await fs.checksum('big.bin', 'sha256')).value).toBe(await sha256File(file))
    } finally {
      await u.close()
      await fs.close()
      await server.stop()
    }
  })

  it('keeps a file that failed maxRetries times as failed in the state; retryFailed() and the next start upload it', async () => {
    const { startS3 } = await import('../servers/s3.js')
    const port = await freePort()
    const dir = scratchDir()
    const stateDir = join(dir, 'state')
    const a = await randomFile(300_000, dir)
    const b = join(dir, 'b.log')
    writeFileSync(b, 'bbb\n')
    const fs = s3At(port, 'down-bucket')
    const u1 = createUploader({ target: fs, stateDir, maxRetries: 1, retryDelay: 5, retryFailedInterval: 0 })
    const failed: string[] = []
    u1.on('failed', (f) => failed.push(f.path))
    const done = collect(u1)
    await u1.enqueue(a)
    await u1.enqueue(b)
    await u1.drain()
    expect(u1.stats()).toEqual({ totalFiles: 2, successful: 0, failed: 2, pending: 0, totalBytes: 0 })
    expect(failed.sort()).toEqual([a, b].sort())
    const states = readUploaderState(stateDir).queued
    expect(states.map((s) => [s.path, s.status, s.attempts]).sort()).toEqual([[a, 'failed', 2], [b, 'failed', 2]].sort())

    const server = await startS3({ port, bucket: 'down-bucket' })
    try {
      // The server is up: retryFailed() queues both again.
      await u1.retryFailed()
      expect(u1.stats().pending + u1.stats().successful).toBe(2)
      await u1.drain()
      expect(u1.stats()).toEqual({ totalFiles: 2, successful: 2, failed: 0, pending: 0, totalBytes: 300_000 + 4 })
      const nameOfA = done.find((d) => d.path === a)?.objectName ?? ''
      expect(nameOfA).toMatch(/^random-300000_\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}\.log$/)
      expect((await fs.checksum(nameOfA, 'sha256')).value).toBe(await sha256File(a))
      await u1.close()

      // Down again for a new file; a fresh uploader on the same state retries it on start.
      await server.stop()
      const c = join(dir, 'c.log')
      writeFileSync(c, 'ccc\n')
      const u2 = createUploader({ target: s3At(port, 'down-bucket'), stateDir, maxRetries: 0, retryDelay: 5, retryFailedInterval: 0 })
      await u2.enqueue(c)
      await u2.drain()
      expect(u2.stats()).toMatchObject({ failed: 1, successful: 0 })
      await u2.close()
      const again = await startS3({ port, bucket: 'down-bucket' })
      try {
        const target = s3At(port, 'down-bucket')
        const u3 = createUploader({ target, stateDir, retryFailedInterval: 0 })
        const u3Done = collect(u3)
        await u3.drain()
        expect(u3.stats()).toEqual({ totalFiles: 1, successful: 1, failed: 0, pending: 0, totalBytes: 4 })
        expect((await target.readFile(u3Done[0]?.objectName ?? '')).toString()).toBe('ccc\n')
        await u3.close()
        await target.close()
      } finally {
        await again.stop()
      }
    } finally {
      await server.stop().catch(() => undefined)
      await fs.close()
    }
  })
})

const s3t = targets(info).find((t) => t.name === 's3')
describe.skipIf(s3t?.missing !== undefined && !inCI)('close', () => {
  it('close({ timeout: 0 }) aborts an upload in progress, leaves no partial object, and the next start finishes it', async () => {
    const dir = scratchDir()
    const fs = s3t?.make() as FileSystem
    const file = await randomFile(40 * MiB, dir)
    const u1 = createUploader({ target: fs, stateDir: join(dir, 'state'), chunkSize: 5 * MiB, concurrency: 1, objectName: 'big.bin' })
    await u1.enqueue(file)
    // Close only once the upload is under way: its multipart session exists on the server and
    // the file is not done (40 MiB in 5 MiB parts, one at a time, takes several requests).
    for (;;) {
      if ((await s3t?.rawList(fs))?.includes('(multipart in progress) big.bin')) break
      expect(u1.stats()).toMatchObject({ successful: 0, failed: 0 })
      await new Promise((r) => setTimeout(r, 10))
    }
    expect(u1.stats()).toMatchObject({ successful: 0, failed: 0, pending: 1 })
    await u1.close({ timeout: 0 })
    expect(u1.stats()).toMatchObject({ totalFiles: 1, successful: 0, failed: 0, pending: 1 })
    expect(await s3t?.rawList(fs)).toEqual([])
    expect(readUploaderState(join(dir, 'state')).queued).toHaveLength(1)
    const u2 = createUploader({ target: fs, stateDir: join(dir, 'state'), chunkSize: 5 * MiB, concurrency: 4, objectName: 'big.bin' })
    await u2.drain()
    expect(u2.stats()).toEqual({ totalFiles: 1, successful: 1, failed: 0, pending: 0, totalBytes: 40 * MiB })
    expect((await fs.checksum('big.bin', 'sha256')).value).toBe(await sha256File(file))
    expect(await s3t?.rawList(fs)).toEqual(['big.bin'])
    await u2.close()
    await fs.close()
  })
})

describe('files already in the directory', () => {
  it('on attach, queues sealed files never uploaded, and never uploads a file twice', async () => {
    const dir = scratchDir()
    const fs = new MemoryFileSystem()
    // A previous run sealed two files without an uploader.
    const old = new Logger({ logFilePath: join(dir, 'app.log'), maxFileSize: 4096, bufferSize: 4096, numShards: 1, preallocateFileSize: 0 })
    for (let id = 0; id < 300; id++) old.log(record(id))
    await old.close()
    writeFileSync(join(dir, 'other_2026-01-02_18-55-02.log'), 'not this logger\n')
    const before = sealedFiles(dir)
    expect(before.length).toBeGreaterThan(1)

    const logger = new Logger({ logFilePath: join(dir, 'app.log'), maxFileSize: 4096, bufferSize: 4096, numShards: 1, preallocateFileSize: 0 })
    const u1 = createUploader({ target: fs, stateDir: join(dir, 'state') })
    u1.attach(logger)
    await u1.drain()
    expect(u1.stats()).toMatchObject({ totalFiles: before.length, successful: before.length })
    for (let id = 300; id < 400; id++) logger.log(record(id))
    await logger.close()
    await u1.drain()
    const all = sealedFiles(dir)
    expect(u1.stats().successful).toBe(all.length)
    await u1.close()
    expect((await fs.ls('')).map((e) => e.name).sort()).toEqual(all)
    expect(await fs.exists('other_2026-01-02_18-55-02.log')).toBe(false)
    expect(recordIds(await Promise.all(all.map((n) => fs.readFile(n))))).toEqual(range(400))

    // A new run over the same directory and state uploads nothing again.
    const again = new Logger({ logFilePath: join(dir, 'app.log'), maxFileSize: 4096, bufferSize: 4096, numShards: 1, preallocateFileSize: 0 })
    const u2 = createUploader({ target: fs, stateDir: join(dir, 'state') })
    u2.attach(again)
    await u2.drain()
    expect(u2.stats()).toEqual({ totalFiles: 0, successful: 0, failed: 0, pending: 0, totalBytes: 0 })
    await again.close()
    await u2.drain()
    await u2.close()
  })
})
