/**
 * The hadoop methods for real: `hadoop distcp` (DistCp in local MapReduce mode), `hadoop fs -put`
 * and `hadoop fs -cp`, run by the launcher install.sh builds from the Maven Hadoop jars, against a
 * MiniDFSCluster; auto's fallback chain with hadoop missing; errors recorded when HDFS is down.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { filesystem, type FileSystem, type StorageConfig } from '../../ts/storage/index.js'
import { transferFiles, type TransferReport } from '../../ts/transfer/index.js'
import { startHdfs } from '../servers/hdfs.js'
import { SERVERS_DIR, freePort } from '../servers/process.js'
import { suiteServers } from '../servers/suite-servers.js'
import { contents, sha256, shas, localTree as treeAt } from './fixtures.js'
import { closedAfterAll } from '../closed-after-all.js'
import { inCI } from '../servers/ci.js'

const HADOOP = join(SERVERS_DIR, 'hadoop', 'bin', 'hadoop')
const servers = await suiteServers(['hdfs'])
const hdfs = servers.hdfs
const hadoopMissing = existsSync(HADOOP) ? undefined : `${HADOOP} missing (run test/servers/install.sh)`
if (hadoopMissing && inCI) throw new Error(hadoopMissing)
const skip = !inCI && (hdfs === undefined || hadoopMissing !== undefined)

const tmp = mkdtempSync(join(tmpdir(), 'logferry-hadoop-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
const run = `hadoop-${Date.now().toString(36)}`
let dirs = 0

/** A config (not an instance: the hadoop methods need its address) for a fresh HDFS directory. */
function hdfsDir(): StorageConfig & { root: string } {
  return { protocol: 'webhdfs', url: hdfs?.url ?? 'http://127.0.0.1:1', root: `/logferry/${run}/${++dirs}`, user: 'root' }
}

const keep = closedAfterAll()
const open = (spec: StorageConfig): FileSystem => keep(filesystem(spec))

const localTree = (files: Map<string, Buffer>): string => treeAt(tmp, files)

function fixture(): Map<string, Buffer> {
  return new Map([
    ['a.log', randomBytes(3000)],
    ['b.log', Buffer.from('bee\n')],
    ['app/c.log', randomBytes(70_000)],
    ['app/deep/d.log', randomBytes(10)],
    ['app/deep/e.log', Buffer.alloc(0)],
  ])
}

function expectEvery(r: TransferReport, fields: Record<string, unknown>): void {
  for (const f of r.files) expect(f, f.target).toMatchObject(fields)
}

describe.skipIf(skip)('hadoop methods against a MiniDFSCluster', () => {
  it('distcp local -> HDFS: one job, structure kept, checksums equal; -update again copies nothing', async () => {
    const files = fixture()
    const root = localTree(files)
    const target = hdfsDir()
    const opts = { files: join(root, 'logs'), target, method: 'distcp', hadoop: { bin: HADOOP } } as const
    const r = await transferFiles(opts)
    expect(r.totals).toMatchObject({ files: 5, copied: 5, failed: 0 })
    expectEvery(r, { outcome: 'copied', method: 'distcp', attempts: 1, methodsTried: [] })
    for (const f of r.files) expect(f.checksum).toBe(sha256(files.get(f.target.slice('logs/'.length)) ?? Buffer.alloc(1)))
    const fs = open(target)
    expect(await contents(fs)).toEqual(shas(files, 'logs/'))

    const again = await transferFiles(opts)
    expect(again.totals).toMatchObject({ files: 5, copied: 0, skipped: 5 })

    // A grown file and a new one: distcp -update copies those and leaves the rest as it was.
    const before = await fs.stat('logs/a.log')
    const grown = Buffer.concat([files.get('b.log') as Buffer, Buffer.from('more\n')])
    writeFileSync(join(root, 'logs', 'b.log'), grown)
    writeFileSync(join(root, 'logs', 'app', 'new.log'), 'new\n')
    files.set('b.log', grown)
    files.set('app/new.log', Buffer.from('new\n'))
    const third = await transferFiles(opts)
    expect(third.totals).toMatchObject({ files: 6, copied: 2, skipped: 4 })
    expect(await contents(fs)).toEqual(shas(files, 'logs/'))
    expect((await fs.stat('logs/a.log')).mtime).toEqual(before.mtime)
  })

  it('distcp HDFS -> HDFS over the NameNode RPC address (hadoop.namenode), from a glob', async () => {
    const files = fixture()
    const srcSpec = hdfsDir()
    const src = open(srcSpec)
    for (const [p, d] of files) await src.writeFile(`data/${p}`, d)
    const target = hdfsDir()
    const r = await transferFiles({
      source: srcSpec,
      files: 'data/**',
      target,
      method: 'distcp',
      hadoop: { bin: HADOOP, namenode: hdfs?.rpcUrl },
    })
    expect(r.totals).toMatchObject({ copied: 5, failed: 0 })
    expectEvery(r, { outcome: 'copied', method: 'distcp' })
    expect(await contents(open(target))).toEqual(shas(files))
  })

  it('hdfs-put (local -> HDFS) and hdfs-cp (HDFS -> HDFS) run hadoop fs and publish atomically', async () => {
    const files = fixture()
    const root = localTree(files)
    const mid = hdfsDir()
    const put = await transferFiles({ files: join(root, 'logs', '**'), target: mid, method: 'hdfs-put', hadoop: { bin: HADOOP }, concurrency: 2 })
    expect(put.totals).toMatchObject({ copied: 5, failed: 0 })
    expectEvery(put, { outcome: 'copied', method: 'hdfs-put', attempts: 1 })
    const midFs = open(mid)
    expect(await contents(midFs)).toEqual(shas(files))

    const end = hdfsDir()
    const cp = await transferFiles({ source: mid, files: 'app', target: end, method: 'hdfs-cp', hadoop: { bin: HADOOP }, concurrency: 2 })
    expect(cp.totals).toMatchObject({ copied: 3, failed: 0 })
    expectEvery(cp, { outcome: 'copied', method: 'hdfs-cp' })
    const endFs = open(end)
    expect(await contents(endFs)).toEqual(new Map([...shas(files)].filter(([k]) => k.startsWith('app/'))))
    // No temp files left next to the published ones (ls hides them; WebHDFS LISTSTATUS does not).
    const raw = await fetch(`${hdfs?.url}/webhdfs/v1${end.root}/app?op=LISTSTATUS&user.name=root`).then((x) => x.json() as Promise<{ FileStatuses: { FileStatus: { pathSuffix: string }[] } }>)
    expect(raw.FileStatuses.FileStatus.map((s) => s.pathSuffix).sort()).toEqual(['c.log', 'deep'])

    // overwrite 'never' leaves an existing target alone, whatever its content.
    await endFs.writeFile('app/c.log', 'other')
    const never = await transferFiles({ source: mid, files: 'app', target: end, method: 'hdfs-cp', overwrite: 'never', hadoop: { bin: HADOOP } })
    expect(never.totals).toMatchObject({ skipped: 3, copied: 0 })
    expect((await endFs.readFile('app/c.log')).toString()).toBe('other')
    // 'always' replaces it, through a temp file and a rename.
    const always = await transferFiles({ source: mid, files: 'app/c.log', target: end, method: 'hdfs-cp', overwrite: 'always', hadoop: { bin: HADOOP } })
    expect(always.files[0]).toMatchObject({ target: 'c.log', outcome: 'copied', checksum: sha256(files.get('app/c.log') as Buffer) })
    expect(sha256(await endFs.readFile('c.log'))).toBe(sha256(files.get('app/c.log') as Buffer))
  })

  it('auto: with hadoop missing, distcp and hdfs-put are recorded unavailable and storage copies', async () => {
    const files = fixture()
    const root = localTree(files)
    const target = hdfsDir()
    const missing = join(tmp, 'no-such-hadoop')
    const r = await transferFiles({ files: join(root, 'logs'), target, hadoop: { bin: missing } })
    expect(r.totals).toMatchObject({ copied: 5, failed: 0 })
    for (const f of r.files) {
      expect(f).toMatchObject({ outcome: 'copied', method: 'storage', attempts: 1 })
      expect(f.methodsTried.map((a) => [a.method, a.code, a.attempts])).toEqual([
        ['distcp', 'ERR_METHOD_UNAVAILABLE', 0],
        ['hdfs-put', 'ERR_METHOD_UNAVAILABLE', 0],
      ])
      for (const a of f.methodsTried) expect(a.message).toContain(missing)
    }
    expect(await contents(open(target))).toEqual(shas(files, 'logs/'))

    // An explicit method whose tool is missing is refused up front.
    await expect(transferFiles({ files: join(root, 'logs'), target, method: 'hdfs-put', hadoop: { bin: missing } })).rejects.toMatchObject({
      code: 'ERR_METHOD_UNAVAILABLE',
      message: expect.stringContaining(missing),
    })
  })

  it('auto with hadoop present picks distcp for local -> HDFS', async () => {
    const files = new Map([['x.log', randomBytes(1000)], ['y/z.log', randomBytes(2000)]])
    const root = localTree(files)
    const target = hdfsDir()
    const r = await transferFiles({ files: join(root, 'logs'), target, hadoop: { bin: HADOOP } })
    expectEvery(r, { outcome: 'copied', method: 'distcp', methodsTried: [] })
    expect(await contents(open(target))).toEqual(shas(files, 'logs/'))
  })

  it('hadoop failing for real (NameNode RPC address refuses): attempts recorded, storage copies', async () => {
    const files = new Map([['r.log', randomBytes(500)], ['s/t.log', randomBytes(700)]])
    const root = localTree(files)
    const target = hdfsDir()
    // hadoop.conf: a HADOOP_CONF_DIR whose core-site.xml makes the IPC client give up at once.
    const conf = join(tmp, `conf-${++dirs}`)
    mkdirSync(conf)
    const prop = (k: string, v: string): string => `<property><name>${k}</name><value>${v}</value></property>`
    writeFileSync(join(conf, 'core-site.xml'), `<?xml version="1.0"?>\n<configuration>${prop('ipc.client.connect.max.retries', '0')}${prop('ipc.client.connect.max.retries.on.timeouts', '0')}</configuration>\n`)
    for (const f of ['hdfs-site.xml', 'mapred-site.xml']) writeFileSync(join(conf, f), '<?xml version="1.0"?>\n<configuration></configuration>\n')
    const dead = `hdfs://127.0.0.1:${await freePort()}`
    const r = await transferFiles({ files: join(root, 'logs'), target, hadoop: { bin: HADOOP, namenode: dead, conf }, retries: 0 })
    expect(r.totals).toMatchObject({ copied: 2, failed: 0 })
    for (const f of r.files) {
      expect(f).toMatchObject({ outcome: 'copied', method: 'storage', attempts: 3 })
      expect(f.methodsTried.map((a) => [a.method, a.code, a.attempts])).toEqual([
        ['distcp', 'ERR_COMMAND_FAILED', 1],
        ['hdfs-put', 'ERR_COMMAND_FAILED', 1],
      ])
      for (const a of f.methodsTried) expect(a.message).toMatch(/Connection refused|ConnectException/)
    }
    expect(await contents(open(target))).toEqual(shas(files, 'logs/'))
  })

  it('HDFS down: every method of the chain fails, each attempt is recorded with its error', async () => {
    const files = new Map([['x.log', randomBytes(100)]])
    const root = localTree(files)
    // A cluster of its own, killed (SIGKILL) before the transfer.
    const own = await startHdfs()
    const target: StorageConfig = { protocol: 'webhdfs', url: own.url, root: `/logferry/${run}/down`, user: 'root' }
    await own.kill()
    try {
      // overwrite 'always': no stat of the target first, so each method meets the dead server itself.
      const r = await transferFiles({ files: join(root, 'logs'), target, hadoop: { bin: HADOOP }, retries: 1, retryDelay: 10, overwrite: 'always' })
      expect(r.ok).toBe(false)
      const f = r.files[0]
      expect(f).toMatchObject({ outcome: 'failed', method: 'storage' })
      expect(f?.methodsTried.map((a) => a.method)).toEqual(['distcp', 'hdfs-put', 'storage'])
      for (const a of f?.methodsTried ?? []) {
        expect(a.code, a.message).toBe('ETRANSIENT')
        expect(a.attempts).toBe(2)
      }
      expect(f?.error).toMatchObject({ code: 'ETRANSIENT' })
    } finally {
      await own.stop()
    }
  })
})
