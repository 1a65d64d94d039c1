/**
 * Cross-cluster copies for real: two MiniDFSClusters (the suite's and a second one this file
 * starts on ports of its own), `hadoop distcp` between them (run by the launcher install.sh
 * builds), mirror deletes, distcp's switches as hadoop received them (a logging wrapper in
 * front of the real launcher records each invocation's argv), distcp dry runs, auto falling back
 * to the storage method over WebHDFS, and cluster2 down.
 */
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { filesystem, type FileSystem } from '../../ts/storage/index.js'
import { parseLocation } from '../../ts/storage/url.js'
import { endpointOf } from '../../ts/transfer/endpoint.js'
import { transferFiles, type TransferOptions, type TransferReport } from '../../ts/transfer/index.js'
import { closedAfterAll } from '../closed-after-all.js'
import { inCI } from '../servers/ci.js'
import { startHdfs, type StartedHdfs } from '../servers/hdfs.js'
import { SERVERS_DIR, freePort } from '../servers/process.js'
import { suiteServers } from '../servers/suite-servers.js'
import { hdfsUrl } from '../cli/transfer-seed-helpers.js'
import { contents, sha256, shas } from './fixtures.js'

const HADOOP = join(SERVERS_DIR, 'hadoop', 'bin', 'hadoop')
const hadoopMissing = existsSync(HADOOP) ? undefined : `${HADOOP} missing (run test/servers/install.sh)`
if (hadoopMissing && inCI) throw new Error(hadoopMissing)

// The suite's cluster and a second one, started together.
const [servers, second] = await Promise.all([suiteServers(['hdfs']), startHdfs().catch((err: unknown) => err as Error)])
if (second instanceof Error && inCI) throw new Error(`the second MiniDFSCluster failed to start (CI is set, so this is fatal): ${second.message}`)
const cluster2: StartedHdfs | undefined = second instanceof Error ? undefined : second
afterAll(() => cluster2?.stop(), 120_000)
const cluster1 = servers.hdfs
const skip = !inCI && (cluster1 === undefined || cluster2 === undefined || hadoopMissing !== undefined)

const tmp = mkdtempSync(join(tmpdir(), 'logferry-xcluster-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
const run = `xcluster-${Date.now().toString(36)}`
let dirs = 0

const freshDir = (): string => `/logferry/${run}/${++dirs}`

const keep = closedAfterAll()
const open = (url: string): FileSystem => keep(filesystem(url))


async function write(fs: FileSystem, files: Map<string, Buffer>, prefix = ''): Promise<void> {
  for (const [p, d] of files) await fs.writeFile(prefix + p, d)
}

function fixture(): Map<string, Buffer> {
  return new Map([
    ['a.log', randomBytes(3000)],
    ['b.log', Buffer.from('bee\n')],
    ['app/c.log', randomBytes(70_000)],
    ['app/deep/d.log', randomBytes(10)],
  ])
}

/** A hadoop that logs its argv (one line per invocation, tab-separated) and execs the real launcher. */
function loggedHadoop(): { bin: string; calls: () => string[][] } {
  const dir = join(tmp, `bin-${++dirs}`)
  mkdirSync(dir)
  const log = join(dir, 'argv.log')
  const bin = join(dir, 'hadoop')
  writeFileSync(bin, `#!/bin/sh\n{ printf 'hadoop'; for a in "$@"; do printf '\\t%s' "$a"; done; printf '\\n'; } >> '${log}'\nexec '${HADOOP}' "$@"\n`)
  chmodSync(bin, 0o755)
  return { bin, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split('\t').slice(1)) : []) }
}

/** A HADOOP_CONF_DIR whose IPC client gives up at once on a refused connection (no 10 x 1 s retries). */
function fastFailConf(): string {
  const conf = join(tmp, `conf-${++dirs}`)
  mkdirSync(conf)
  const prop = (k: string, v: string): string => `<property><name>${k}</name><value>${v}</value></property>`
  writeFileSync(join(conf, 'core-site.xml'), `<?xml version="1.0"?>\n<configuration>${prop('ipc.client.connect.max.retries', '0')}${prop('ipc.client.connect.max.retries.on.timeouts', '0')}</configuration>\n`)
  for (const f of ['hdfs-site.xml', 'mapred-site.xml']) writeFileSync(join(conf, f), '<?xml version="1.0"?>\n<configuration></configuration>\n')
  return conf
}

// A fresh cluster's first write waits for its DataNode to settle (many seconds on a loaded
// machine): done here, in the setup, not inside a test's time limit.
if (!skip) {
  await Promise.all(
    [cluster1, cluster2].map(async (c) => {
      const fs = open(hdfsUrl(c, `/logferry/${run}/warm-up`))
      await fs.writeFile('w.log', 'w')
      await fs.rm('w.log')
    }),
  )
}

const outcomes = (r: TransferReport): [string, string][] => r.files.map((f) => [f.target, f.outcome] as [string, string]).sort(([a], [b]) => a.localeCompare(b))

describe('per-endpoint NameNodes in the one URL parser', () => {
  it('hdfs:// names the RPC address (WebHDFS on port 9870 or ?url=), webhdfs:// the HTTP one (+ ?namenode=)', () => {
    expect(parseLocation('hdfs://nn1:8020/data').store).toEqual({ protocol: 'webhdfs', url: 'http://nn1:9870', namenode: 'hdfs://nn1:8020' })
    expect(parseLocation('hdfs://nn1/data').store).toMatchObject({ url: 'http://nn1:9870', namenode: 'hdfs://nn1:8020' })
    expect(parseLocation('hdfs://bob@nn1:9000/d?url=http://web1:50070').store).toEqual({ protocol: 'webhdfs', url: 'http://web1:50070', namenode: 'hdfs://nn1:9000', user: 'bob' })
    // On a NameNode HTTP port an hdfs:// URL keeps its old meaning: WebHDFS there, no RPC address.
    expect(parseLocation('hdfs://nn1:9870/data').store).toEqual({ protocol: 'webhdfs', url: 'http://nn1:9870' })
    expect(parseLocation('webhdfs://nn2:9870/data?namenode=hdfs://nn2:8020').store).toEqual({ protocol: 'webhdfs', url: 'http://nn2:9870', namenode: 'hdfs://nn2:8020' })
    expect(() => filesystem('webhdfs://nn2:9870/data?namenode=http://nn2:8020')).toThrow(/namenode must be a NameNode RPC address like 'hdfs:\/\/host:8020'/)
    const fs = filesystem('hdfs://root@nn1:8020/data')
    expect(endpointOf(fs)).toEqual({ kind: 'hadoop', uri: 'webhdfs://nn1:9870', rpcUri: 'hdfs://nn1:8020', root: '/data', user: 'root' })
    expect(endpointOf(filesystem('webhdfs://nn2:9870/x'))).not.toHaveProperty('rpcUri')
  })

  it('the distcp options are checked by the options validator', async () => {
    const base = { files: 'x', target: 'memory://mirror-opts' } as const
    const refused = async (o: Record<string, unknown>, message: string | RegExp): Promise<void> => {
      await expect(transferFiles({ ...base, ...o } as TransferOptions)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message) })
    }
    await refused({ mirror: true, overwrite: 'never' }, /^mirror cannot be used with overwrite 'never'/)
    await refused({ mirror: true, deleteSource: true }, /^mirror cannot be used with deleteSource/)
    await refused({ mirorr: true }, "unknown option 'mirorr' (did you mean 'mirror'?)")
    await refused({ maps: 0 }, /^maps must be/)
    await refused({ strategy: 'uniform' }, /^strategy must be one of/)
    await refused({ preserve: 'rbz' }, /^preserve must be true or distcp's -p letters/)
    await refused({ maps: 4, method: 'storage' }, /^maps is a distcp option/)
    await refused({ preserve: true, method: 'scp' }, /^preserve is a distcp option/)
  })
})

// Each test starts a few JVMs (distcp in local MapReduce, hadoop fs): minutes on a loaded machine.
describe.skipIf(skip)('distcp between two MiniDFSClusters', { timeout: 300_000 }, () => {
  it('one distcp from cluster1 to cluster2 on each endpoint\'s own NameNode; the second run copies nothing', async () => {
    const files = fixture()
    const srcDir = freshDir()
    await write(open(hdfsUrl(cluster1, srcDir)), files, 'data/')
    const targetDir = freshDir()
    const target = hdfsUrl(cluster2, targetDir)
    const hadoop = loggedHadoop()
    // hadoop.namenode is only the default for endpoints naming none: both name theirs, so a dead one here changes nothing.
    const opts = { source: hdfsUrl(cluster1, srcDir), files: 'data', target, method: 'distcp', concurrency: 2, hadoop: { bin: hadoop.bin, namenode: `hdfs://127.0.0.1:${await freePort()}` } } as const
    const r = await transferFiles(opts)
    expect(r.totals).toMatchObject({ files: 4, copied: 4, failed: 0 })
    for (const f of r.files) expect(f, f.target).toMatchObject({ outcome: 'copied', method: 'distcp', attempts: 1, methodsTried: [], checksum: sha256(files.get(f.target.slice('data/'.length)) as Buffer) })
    expect(await contents(open(target))).toEqual(shas(files, 'data/'))
    const calls = hadoop.calls()
    expect(calls).toHaveLength(1)
    expect(calls[0]).toEqual(['distcp', '-update', '-strategy', 'dynamic', '-m', '2', `${cluster1?.rpcUrl}${srcDir}`, `hdfs://127.0.0.1:${cluster2?.rpcPort}${targetDir}`])

    const again = await transferFiles(opts)
    expect(again.totals).toMatchObject({ files: 4, copied: 0, skipped: 4 })
    expect(hadoop.calls()).toHaveLength(1)
  })

  it('maps, strategy and preserve reach distcp\'s command line, and -pt keeps the source mtimes', async () => {
    const files = new Map([['x.log', randomBytes(2000)], ['y/z.log', randomBytes(500)]])
    const srcDir = freshDir()
    const src = open(hdfsUrl(cluster1, srcDir))
    await write(src, files)
    const target = hdfsUrl(cluster2, freshDir())
    const hadoop = loggedHadoop()
    const r = await transferFiles({ source: hdfsUrl(cluster1, srcDir), files: '**', target, method: 'distcp', maps: 3, strategy: 'uniformsize', preserve: 'pt', hadoop: { bin: hadoop.bin } })
    expect(r.totals).toMatchObject({ copied: 2, failed: 0 })
    const [call] = hadoop.calls()
    expect(call?.slice(0, 7)).toEqual(['distcp', '-update', '-strategy', 'uniformsize', '-m', '3', '-ppt'])
    const dst = open(target)
    for (const p of files.keys()) expect((await dst.stat(p)).mtime, p).toEqual((await src.stat(p)).mtime)
  })

  it('mirror: exactly the target files gone at the source are deleted (distcp -delete, then the filesystem) and reported', async () => {
    const files = fixture()
    const srcDir = freshDir()
    const src = open(hdfsUrl(cluster1, srcDir))
    await write(src, files, 'data/')
    const target = hdfsUrl(cluster2, freshDir())
    const dst = open(target)
    // The target as an earlier copy left it, plus two files since removed at the source.
    await write(dst, files, 'data/')
    await dst.writeFile('data/gone.log', 'old\n')
    await dst.writeFile('data/app/old/gone2.log', 'older\n')
    const changed = randomBytes(100)
    await src.writeFile('data/b.log', changed)
    files.set('b.log', changed)
    const hadoop = loggedHadoop()
    const opts = { source: hdfsUrl(cluster1, srcDir), files: 'data', target, method: 'distcp', mirror: true, hadoop: { bin: hadoop.bin } } as const
    const r = await transferFiles(opts)
    expect(r.ok).toBe(true)
    expect(outcomes(r).filter(([, o]) => o !== 'skipped')).toEqual([
      ['data/app/old/gone2.log', 'deleted'],
      ['data/b.log', 'copied'],
      ['data/gone.log', 'deleted'],
    ])
    expect(r.totals).toMatchObject({ copied: 1, deleted: 2, failed: 0 })
    for (const f of r.files.filter((x) => x.outcome === 'deleted')) expect(f).toMatchObject({ mirrorDelete: true, method: 'distcp', bytes: f.target.endsWith('2.log') ? 6 : 4 })
    expect(hadoop.calls()[0]?.slice(0, 3)).toEqual(['distcp', '-update', '-delete'])
    expect(await contents(dst)).toEqual(shas(files, 'data/'))

    // Removed at the source while the rest is unchanged: nothing to copy, so no distcp; the file is deleted all the same.
    await src.rm('data/app/deep/d.log')
    files.delete('app/deep/d.log')
    const next = await transferFiles(opts)
    expect(outcomes(next).filter(([, o]) => o !== 'skipped')).toEqual([['data/app/deep/d.log', 'deleted']])
    expect(hadoop.calls()).toHaveLength(1)
    expect(await contents(dst)).toEqual(shas(files, 'data/'))

    // A dry run reports what a mirror would delete and deletes nothing.
    await dst.writeFile('data/stray.log', 'stray\n')
    const dry = await transferFiles({ ...opts, dryRun: true })
    expect(outcomes(dry).filter(([, o]) => o !== 'skipped')).toEqual([['data/stray.log', 'dry-run']])
    expect(await dst.exists('data/stray.log')).toBe(true)
  })

  it('dryRun with distcp: hadoop checks the job on both clusters and nothing is copied; a dead target fails it', async () => {
    const files = fixture()
    const srcDir = freshDir()
    await write(open(hdfsUrl(cluster1, srcDir)), files)
    const targetDir = freshDir()
    const target = hdfsUrl(cluster2, targetDir)
    const hadoop = loggedHadoop()
    const r = await transferFiles({ source: hdfsUrl(cluster1, srcDir), files: '**', target, method: 'distcp', dryRun: true, hadoop: { bin: hadoop.bin } })
    expect(r.totals).toMatchObject({ files: 4, dryRun: 4, copied: 0, failed: 0 })
    expect(hadoop.calls()).toEqual([['fs', '-ls', '-d', `${cluster1?.rpcUrl}${srcDir}`, `hdfs://127.0.0.1:${cluster2?.rpcPort}/`]])
    expect(await open(hdfsUrl(cluster2, '/')).exists(targetDir.slice(1))).toBe(false)

    // The target cluster's RPC port refuses: the check fails, and so does every file.
    const dead = `hdfs://root@127.0.0.1:${await freePort()}${targetDir}?url=${cluster2?.url}`
    const bad = await transferFiles({ source: hdfsUrl(cluster1, srcDir), files: '**', target: dead, method: 'distcp', dryRun: true, retries: 0, hadoop: { bin: HADOOP, conf: fastFailConf() } })
    expect(bad.totals).toMatchObject({ failed: 4, dryRun: 0 })
    for (const f of bad.files) expect(f.error?.message).toMatch(/Connection refused|ConnectException/)
  })

  it('auto without hadoop: distcp recorded unavailable, storage streams cluster1 -> cluster2 over WebHDFS, mirror deletes too', async () => {
    const files = fixture()
    const srcDir = freshDir()
    await write(open(hdfsUrl(cluster1, srcDir)), files)
    const target = hdfsUrl(cluster2, freshDir())
    const dst = open(target)
    await dst.writeFile('extra/old.log', 'x')
    const missing = join(tmp, 'no-such-hadoop')
    const r = await transferFiles({ source: hdfsUrl(cluster1, srcDir), files: '**', target, mirror: true, maps: 2, hadoop: { bin: missing } })
    expect(r.ok).toBe(true)
    expect(r.totals).toMatchObject({ copied: 4, deleted: 1 })
    for (const f of r.files.filter((x) => x.outcome === 'copied')) {
      expect(f).toMatchObject({ method: 'storage', attempts: 1, checksum: sha256(files.get(f.target) as Buffer) })
      expect(f.methodsTried.map((a) => [a.method, a.code, a.attempts])).toEqual([
        ['distcp', 'ERR_METHOD_UNAVAILABLE', 0],
        ['hdfs-cp', 'ERR_METHOD_UNAVAILABLE', 0],
      ])
      expect(f.methodsTried[0]?.message).toContain(missing)
    }
    expect(r.files.find((f) => f.outcome === 'deleted')).toMatchObject({ target: 'extra/old.log', method: 'storage', mirrorDelete: true })
    expect(await contents(dst)).toEqual(shas(files))
  })

  it('hdfs-cp between the clusters (each path on its own NameNode); mirror deletes through the target filesystem', async () => {
    const srcDir = freshDir()
    const data = randomBytes(1234)
    await open(hdfsUrl(cluster1, srcDir)).writeFile('one.log', data)
    const target = hdfsUrl(cluster2, freshDir())
    const dst = open(target)
    await dst.writeFile('left/over.log', 'x\n')
    const hadoop = loggedHadoop()
    const r = await transferFiles({ source: hdfsUrl(cluster1, srcDir), files: 'one.log', target, method: 'hdfs-cp', mirror: true, hadoop: { bin: hadoop.bin } })
    expect(outcomes(r)).toEqual([
      ['left/over.log', 'deleted'],
      ['one.log', 'copied'],
    ])
    expect(r.files.find((f) => f.outcome === 'deleted')).toMatchObject({ method: 'hdfs-cp', mirrorDelete: true, bytes: 2 })
    const [call] = hadoop.calls()
    expect(call?.slice(0, 3)).toEqual(['fs', '-cp', '-f'])
    expect(call?.[3]).toBe(`${cluster1?.rpcUrl}${srcDir}/one.log`)
    expect(call?.[4]).toMatch(new RegExp(`^hdfs://127\\.0\\.0\\.1:${cluster2?.rpcPort}/`))
    expect(await contents(dst)).toEqual(new Map([['one.log', sha256(data)]]))
  })

  it('cluster2 down: the copy is transient, retried, then failed with the reason; mirror deletes nothing', async () => {
    const files = new Map([['x.log', randomBytes(100)]])
    const srcDir = freshDir()
    await write(open(hdfsUrl(cluster1, srcDir)), files)
    const target = hdfsUrl(cluster2, freshDir())
    await open(target).writeFile('stale.log', 'stale\n')
    await cluster2?.kill()
    const r = await transferFiles({
      source: hdfsUrl(cluster1, srcDir),
      files: '**',
      target,
      method: 'distcp',
      // No stat of the target first: the distcp run itself (its mkdir on the target) meets the dead cluster.
      overwrite: 'always',
      mirror: true,
      retries: 2,
      retryDelay: 10,
      hadoop: { bin: HADOOP, conf: fastFailConf() },
    })
    expect(r.ok).toBe(false)
    const [copy, ...rest] = r.files
    expect(copy).toMatchObject({ target: 'x.log', outcome: 'failed', method: 'distcp', attempts: 3, error: { code: 'ETRANSIENT' } })
    expect(copy?.error?.message).toMatch(/ECONNREFUSED|Connection refused/)
    // The stale file could not even be listed (the listing is retried as well): one failed mirror entry.
    expect(rest.map((f) => [f.outcome, f.mirrorDelete, (f.error as { code?: string } | undefined)?.code])).toEqual([['failed', true, 'ERR_MIRROR_INCOMPLETE']])
    expect(r.totals).toMatchObject({ failed: 2, deleted: 0 })
  })
})
