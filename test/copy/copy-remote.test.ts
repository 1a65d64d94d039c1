/**
 * Copy jobs against real servers on 127.0.0.1: WebHDFS (MiniDFSCluster) and S3 (moto), started
 * by this suite when the globalSetup did not, plus a destination that is down and comes back.
 */
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CopyJobRunner, filesystem, type FileSystem } from '../../ts/index.js'
import { readCopyState } from '../../ts/copy/state.js'
import { freePort } from '../servers/process.js'
import { startS3 } from '../servers/s3.js'
import { suiteServers } from '../servers/suite-servers.js'
import { tempDir, writeOld, writeTree } from './helpers.js'
import { inCI } from '../servers/ci.js'

const servers = await suiteServers(['s3', 'hdfs'])
const run = `copy-${Date.now().toString(36)}-${process.pid}`
const skip = (name: 's3' | 'hdfs'): boolean => !inCI && !servers[name]

const hdfsUrl = (dir: string): string => `webhdfs://root@127.0.0.1:${new URL(servers.hdfs?.url ?? 'http://127.0.0.1:1').port}/logferry/${run}/${dir}`
const s3Config = (endpoint: string, bucket: string, prefix: string) => ({
  protocol: 's3' as const,
  bucket,
  endpoint,
  region: 'us-east-1',
  key: 'test-access-key',
  secret: 'test-secret-key',
  targetPath: `${run}/${prefix}`,
})

const opened: FileSystem[] = []
const open = (spec: Parameters<typeof filesystem>[0]): FileSystem => {
  const fs = filesystem(spec)
  opened.push(fs)
  return fs
}
afterAll(async () => {
  await Promise.all(opened.map((f) => f.close().catch(() => undefined)))
})

/** Copies a tree, changes one file, restarts the job: exactly the changed file is copied again. */
async function roundTrip(destination: string | ReturnType<typeof s3Config>, check: FileSystem): Promise<void> {
  const src = tempDir()
  const stateDir = tempDir()
  writeTree(src, { 'app.log': 'first line\n', 'deep/er/db.log': 'db line\n' })
  const options = { name: 'remote', localPattern: `${src}/**/*.log`, destination, stateDir, runOnStart: false, retryDelay: 50 }
  const first = new CopyJobRunner()
  first.start(options)
  expect(await first.runNow('remote')).toMatchObject({ matched: 2, copied: 2, bytes: 19, failed: 0, error: undefined })
  expect((await check.readFile('app.log')).toString()).toBe('first line\n')
  expect((await check.readFile('deep/er/db.log')).toString()).toBe('db line\n')
  expect(await first.runNow('remote')).toMatchObject({ copied: 0, unchanged: 2 })
  expect(await first.stop('remote')).toBe(true)

  writeOld(join(src, 'deep/er/db.log'), 'db line\nsecond db line\n')
  const second = new CopyJobRunner()
  second.start(options)
  expect(await second.runNow('remote')).toMatchObject({ matched: 2, copied: 1, unchanged: 1, failed: 0 })
  expect((await check.readFile('deep/er/db.log')).toString()).toBe('db line\nsecond db line\n')
  const [op] = second.list()
  expect(op).toMatchObject({ filesCopied: 1, bytesCopied: 23, runs: 1, lastError: undefined })
  expect(op?.destination).not.toMatch(/secret|test-secret-key/)
  expect(readCopyState(join(stateDir, 'remote.json')).get(join(src, 'deep/er/db.log'))).toMatchObject({ size: 23 })
  expect(await second.stopAll()).toEqual([])
}

describe('copy jobs to real servers', () => {
  it.skipIf(skip('hdfs'))('WebHDFS (hdfs:// URL): copies, recopies a changed file, skips unchanged ones after a restart', async () => {
    const url = hdfsUrl('roundtrip')
    // hdfs:// names the NameNode's RPC address; ?url= its WebHDFS address (on a port of its own here).
    const rpc = new URL(servers.hdfs?.rpcUrl ?? 'hdfs://127.0.0.1:1').port
    await roundTrip(`${url.replace(/^webhdfs:\/\/root@127\.0\.0\.1:\d+/, `hdfs://root@127.0.0.1:${rpc}`)}?url=${servers.hdfs?.url ?? ''}`, open(url))
  })

  it.skipIf(skip('s3'))('S3 (config object): copies, recopies a changed file, skips unchanged ones after a restart', async () => {
    const s3 = servers.s3!
    const dest = s3Config(s3.endpoint, s3.bucket, 'roundtrip')
    await roundTrip(dest, open(dest))
  })

  it('retries: while the S3 server is down the files fail and are kept for the next run, which copies them once it is up', async () => {
    const port = await freePort()
    const endpoint = `http://127.0.0.1:${port}`
    const src = tempDir()
    writeTree(src, { 'a.log': 'aaa\n', 'b.log': 'bbb\n' })
    const runner = new CopyJobRunner()
    runner.start({ name: 'flaky', localPattern: `${src}/*.log`, destination: s3Config(endpoint, 'flaky-bucket', 'x'), runOnStart: false, maxRetries: 2, retryDelay: 20 })
    const down = await runner.runNow('flaky')
    expect(down).toMatchObject({ matched: 2, copied: 0, failed: 2 })
    expect(down.error?.message).toMatch(/ECONNREFUSED|ETRANSIENT|connect/i)
    expect(runner.list()[0]).toMatchObject({ filesFailed: 2, filesCopied: 0 })
    expect(runner.list()[0]?.lastError).toBeDefined()

    const server = await startS3({ port, bucket: 'flaky-bucket' })
    try {
      const up = await runner.runNow('flaky')
      expect(up).toMatchObject({ copied: 2, failed: 0, error: undefined })
      expect(runner.list()[0]).toMatchObject({ filesFailed: 2, filesCopied: 2, runs: 2, lastError: undefined })
      const check = open(s3Config(endpoint, 'flaky-bucket', 'x'))
      expect((await check.readFile('b.log')).toString()).toBe('bbb\n')
      expect(await runner.runNow('flaky')).toMatchObject({ copied: 0, unchanged: 2 })
      expect(await runner.stopAll()).toEqual([])
    } finally {
      await server.stop()
    }
  })
})
