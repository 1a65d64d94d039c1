/**
 * The seed's manager classes (FileTransferManager, UnifiedFileTransferManager) against local disk
 * and a MiniDFSCluster: seed-style configs mapped onto the storage layer, targetTable as a
 * sub-directory, the boolean plus lastReport, the method each manager picks.
 */
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { FileTransferManager, UnifiedFileTransferManager } from '../../ts/index.js'
import { filesystem, type FileSystem } from '../../ts/storage/index.js'
import { inCI } from '../servers/ci.js'
import { SERVERS_DIR } from '../servers/process.js'
import { suiteServers } from '../servers/suite-servers.js'

const HADOOP = join(SERVERS_DIR, 'hadoop', 'bin', 'hadoop')
const hadoopMissing = existsSync(HADOOP) ? undefined : `${HADOOP} missing (run test/servers/install.sh)`
if (hadoopMissing && inCI) throw new Error(hadoopMissing)
const servers = await suiteServers(['hdfs'])
const hdfs = servers.hdfs
const skipHdfs = !inCI && (hdfs === undefined || hadoopMissing !== undefined)

const tmp = mkdtempSync(join(tmpdir(), 'logferry-managers-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
const run = `managers-${Date.now().toString(36)}`
let n = 0
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

function localFiles(): { dir: string; paths: string[]; files: Map<string, Buffer> } {
  const dir = join(tmp, `src-${++n}`)
  mkdirSync(dir, { recursive: true })
  const files = new Map([
    ['a.parquet', randomBytes(4000)],
    ['b.csv', Buffer.from('x,y\n1,2\n')],
  ])
  for (const [k, v] of files) writeFileSync(join(dir, k), v)
  return { dir, paths: [...files.keys()].map((k) => join(dir, k)), files }
}

/** The seed's hdfs config: host and the NameNode RPC port, the WebHDFS address in `url` (not on :9870 here). */
function seedHdfsConfig(targetPath: string): Record<string, unknown> & { protocol: string } {
  const rpc = new URL((hdfs?.rpcUrl ?? 'hdfs://127.0.0.1:1').replace(/^hdfs:/, 'http:'))
  return { protocol: 'hdfs', host: '127.0.0.1', port: Number(rpc.port), user: 'root', url: hdfs?.url ?? 'http://127.0.0.1:1', target_path: targetPath }
}

const opened: FileSystem[] = []
afterAll(async () => Promise.all(opened.map((f) => f.close().catch(() => undefined))))
function hdfsAt(root: string): FileSystem {
  const fs = filesystem({ protocol: 'webhdfs', url: hdfs?.url ?? 'http://127.0.0.1:1', root, user: 'root' })
  opened.push(fs)
  return fs
}

describe('FileTransferManager (local)', () => {
  it('copies to targetFsConfig below targetTable; returns true and keeps the report', async () => {
    const src = localFiles()
    const out = join(tmp, `out-${++n}`)
    const m = new FileTransferManager({ targetFsConfig: { protocol: 'local', target_path: out } })
    expect(await m.transferFiles(src.paths, 'events_table')).toBe(true)
    expect(m.lastReport?.totals).toMatchObject({ files: 2, copied: 2, failed: 0 })
    for (const [k, v] of src.files) expect(sha(readFileSync(join(out, 'events_table', k)))).toBe(sha(v))
  })

  it('targetPath (a directory of the target) then targetTable inside it; a second run skips', async () => {
    const src = localFiles()
    const out = join(tmp, `out-${++n}`)
    const m = new FileTransferManager({ targetFsConfig: `file://${out}`, transferOptions: { concurrency: 1 } })
    expect(await m.transferFiles(src.paths, 't1', 'file:///transfers/')).toBe(true)
    for (const [k, v] of src.files) expect(sha(readFileSync(join(out, 'transfers', 't1', k)))).toBe(sha(v))
    expect(await m.transferFiles(src.paths, 't1', 'transfers')).toBe(true)
    expect(m.lastReport?.totals).toMatchObject({ copied: 0, skipped: 2 })
  })

  it('a targetPath URL is the target when no target filesystem is set', async () => {
    const src = localFiles()
    const out = join(tmp, `out-${++n}`)
    const m = new FileTransferManager()
    expect(await m.transferFiles(src.paths, 'tbl', `file://${out}`)).toBe(true)
    expect(existsSync(join(out, 'tbl', 'b.csv'))).toBe(true)
  })

  it('returns false when a file fails, the reason in lastReport', async () => {
    const out = join(tmp, `out-${++n}`)
    const m = new FileTransferManager({ targetFsConfig: { protocol: 'file', root: out } })
    expect(await m.transferFiles([join(tmp, 'missing.csv')])).toBe(false)
    expect(m.lastReport?.files[0]).toMatchObject({ outcome: 'failed' })
    expect((m.lastReport?.files[0]?.error as { code?: string } | undefined)?.code).toBe('ENOENT')
  })

  it('refuses bad options with ERR_INVALID_ARG: an unknown key (did-you-mean), both fs and config, a sub-directory of a FileSystem instance', async () => {
    expect(() => new FileTransferManager({ targetFsConfg: {} } as never)).toThrow(/unknown option 'targetFsConfg' \(did you mean 'targetFsConfig'\?\)/)
    const local = filesystem({ protocol: 'file', root: tmp })
    expect(() => new FileTransferManager({ targetFs: local, targetFsConfig: { protocol: 'file' } })).toThrow(/targetFs or targetFsConfig/)
    const m = new FileTransferManager({ targetFs: local })
    await expect(m.transferFiles([join(tmp, 'x')], 'tbl')).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
    const bad = new FileTransferManager({ targetFsConfig: { protocol: 'file', root: tmp }, transferOptions: { concurrency: 0 } })
    await expect(bad.transferFiles([join(tmp, 'x')])).rejects.toMatchObject({ code: 'ERR_INVALID_ARG' })
  })

  it('UnifiedFileTransferManager: useFsspec true is the storage method, with fsspecConfig.transferOptions applied', async () => {
    const src = localFiles()
    const out = join(tmp, `out-${++n}`)
    mkdirSync(join(out, 'tbl'), { recursive: true })
    writeFileSync(join(out, 'tbl', 'stale.csv'), 'old')
    const m = new UnifiedFileTransferManager({ useFsspec: true, targetFsConfig: { protocol: 'local', target_path: out }, fsspecConfig: { transferOptions: { mirror: true } } })
    expect(m.method).toBe('storage')
    expect(await m.transferFiles(src.paths, 'tbl')).toBe(true)
    expect(m.lastReport?.totals).toMatchObject({ copied: 2, deleted: 1 })
    expect(new Set(m.lastReport?.files.map((f) => f.method))).toEqual(new Set(['storage']))
    expect(existsSync(join(out, 'tbl', 'stale.csv'))).toBe(false)
  })
})

describe.skipIf(skipHdfs)('the managers against a MiniDFSCluster', () => {
  it("FileTransferManager with the seed's hdfs config (RPC port): files land below target_path/targetTable", async () => {
    const src = localFiles()
    const root = `/logferry/${run}/${++n}`
    const m = new FileTransferManager({ targetFsConfig: seedHdfsConfig(root), transferOptions: { method: 'storage' } })
    expect(await m.transferFiles(src.paths, 'sales')).toBe(true)
    const fs = hdfsAt(`${root}/sales`)
    for (const [k, v] of src.files) expect(sha(await fs.readFile(k))).toBe(sha(v))
  })

  it('UnifiedFileTransferManager with useFsspec false runs the hadoop methods: distcp on the NameNode the seed config names', async () => {
    const src = localFiles()
    const root = `/logferry/${run}/${++n}`
    const m = new UnifiedFileTransferManager({ useFsspec: false, targetFsConfig: seedHdfsConfig(root), transferOptions: { hadoop: { bin: HADOOP } } })
    expect(m.method).toBe('auto')
    expect(await m.transferFiles(src.paths, 'orders')).toBe(true)
    expect(new Set(m.lastReport?.files.map((f) => f.method))).toEqual(new Set(['distcp']))
    const fs = hdfsAt(`${root}/orders`)
    for (const [k, v] of src.files) expect(sha(await fs.readFile(k))).toBe(sha(v))
  })

  it('HDFS source config -> local target (the seed cross-platform example, HDFS -> another store)', async () => {
    const root = `/logferry/${run}/${++n}`
    const data = randomBytes(7000)
    await hdfsAt(root).writeFile('user/data/file.csv', data)
    const out = join(tmp, `out-${++n}`)
    const m = new UnifiedFileTransferManager({ useFsspec: true, sourceFsConfig: seedHdfsConfig(root), targetFsConfig: { protocol: 'local', target_path: out } })
    expect(await m.transferFiles(['user/data/file.csv'], 'target_table')).toBe(true)
    expect(sha(readFileSync(join(out, 'target_table', 'file.csv')))).toBe(sha(data))
  })
})
