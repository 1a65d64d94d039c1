/**
 * `logferry transfer --check SRC DEST`: which methods could copy, without copying, against a
 * running MiniDFSCluster and against one that is down (an unused loopback port), and local disk.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { TransferCheck } from '../../ts/transfer/index.js'
import { inCI } from '../servers/ci.js'
import { freePort } from '../servers/process.js'
import { suiteServers } from '../servers/suite-servers.js'
import { HADOOP_HOME, hdfsUrl, transferCli } from './transfer-seed-helpers.js'

const hadoopMissing = existsSync(join(HADOOP_HOME, 'bin', 'hadoop')) ? undefined : `${HADOOP_HOME}/bin/hadoop missing (run test/servers/install.sh)`
if (hadoopMissing && inCI) throw new Error(hadoopMissing)
const servers = await suiteServers(['hdfs'])
const hdfs = servers.hdfs
const skipHdfs = !inCI && (hdfs === undefined || hadoopMissing !== undefined)

const tmp = mkdtempSync(join(tmpdir(), 'logferry-check-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
const src = join(tmp, 'src')
mkdirSync(src)
writeFileSync(join(src, 'a.log'), 'a\n')
const withHadoop = { HADOOP_HOME, HADOOP_USER_NAME: 'root' }

type Out = { ok: boolean; checks: (TransferCheck & { source: string; target: string })[] }
const parse = (stdout: string): Out => JSON.parse(stdout) as Out
const method = (c: TransferCheck, m: string): TransferCheck['methods'][number] | undefined => c.methods.find((x) => x.method === m)

describe('logferry transfer --check (local)', () => {
  it('local -> local: storage works, the free space is statfs of the target volume, nothing is copied', async () => {
    const dest = join(tmp, 'never-written')
    const r = await transferCli(['--check', join(src, '*.log'), dest, '--json'], { HADOOP_HOME: join(tmp, 'no-hadoop') })
    expect(r.code, r.stderr).toBe(0)
    const c = parse(r.stdout).checks[0] as TransferCheck
    expect(method(c, 'storage')?.available).toBe(true)
    expect(method(c, 'distcp')).toMatchObject({ available: false, code: 'ERR_METHOD_INAPPLICABLE' })
    expect(c.tools.find((t) => t.name === 'hadoop')?.error?.code).toBe('ERR_METHOD_UNAVAILABLE')
    const target = c.endpoints.find((e) => e.role === 'target')
    expect(target?.routes[0]).toMatchObject({ via: 'storage', reachable: true })
    expect(target?.space?.free).toBeGreaterThan(0)
    expect(target?.space?.total).toBeGreaterThanOrEqual(target?.space?.free ?? 0)
    expect(existsSync(dest)).toBe(false)
  })

  it('a source path that is not there: exit 1, named as missing (the store itself answered)', async () => {
    const gone = join(tmp, 'no-such-file.log')
    const globInGone = join(tmp, 'no-such-dir', '*.log')
    const r = await transferCli(['--check', gone, join(src, 'a.log'), globInGone, join(tmp, 'dest2'), '--json'], { HADOOP_HOME: join(tmp, 'no-hadoop') })
    expect(r.code, r.stderr).toBe(1)
    const out = parse(r.stdout)
    expect(out.ok).toBe(false)
    const source = out.checks[0]?.endpoints.find((e) => e.role === 'source')
    expect(source?.routes[0]?.reachable).toBe(true)
    expect(source?.missing).toEqual([gone, globInGone])
    const text = await transferCli(['--check', gone, join(tmp, 'dest2')], { HADOOP_HOME: join(tmp, 'no-hadoop') })
    expect(text.code).toBe(1)
    expect(text.stdout).toContain(`source paths not found (ENOENT): ${gone}`)
  })
})

describe.skipIf(skipHdfs)('logferry transfer --check against a MiniDFSCluster', () => {
  it('cluster up: distcp and hdfs-put work, hadoop and its version found, the NameNode answers on both routes, free space and quota shown', async () => {
    const dest = hdfsUrl(hdfs, `/logferry/check-${Date.now().toString(36)}`)
    const r = await transferCli(['--check', join(src, '*.log'), dest, '--json'], withHadoop)
    expect(r.code, r.stderr).toBe(0)
    const out = parse(r.stdout)
    expect(out.ok).toBe(true)
    const c = out.checks[0] as TransferCheck
    for (const m of ['distcp', 'hdfs-put', 'storage']) expect(method(c, m)?.available, `${m}: ${method(c, m)?.reason}`).toBe(true)
    expect(method(c, 'scp')?.available).toBe(false)
    expect(c.tools.find((t) => t.name === 'hadoop')?.version).toMatch(/^Hadoop 3\./)
    const target = c.endpoints.find((e) => e.role === 'target')
    expect(target?.kind).toBe('hadoop')
    expect(target?.routes.map((x) => [x.via, x.reachable])).toEqual([
      ['storage', true],
      ['hadoop', true],
    ])
    expect(target?.routes[1]?.address).toBe(`${hdfs?.rpcUrl}/`)
    expect(target?.space?.free).toBeGreaterThan(0)
    expect(target?.space?.quotaRemaining).toBeUndefined()

    const table = await transferCli(['--check', join(src, '*.log'), dest], withHadoop)
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(/^method\s+works\s+why not/m)
    expect(table.stdout).toMatch(/^distcp\s+yes/m)
    expect(table.stdout).toMatch(/^hadoop\s+\S+\s+Hadoop 3\./m)
    expect(table.stdout).toContain('space on the target:')
    expect(table.stdout).toContain('at least one method works')
  })

  it('a space quota on the target directory is reported as what it still allows (WebHDFS SETQUOTA, then GETQUOTAUSAGE)', async () => {
    const dir = `/logferry/check-quota-${Date.now().toString(36)}`
    const base = hdfs?.url ?? 'http://127.0.0.1:1'
    const mk = await fetch(`${base}/webhdfs/v1${dir}?op=MKDIRS&user.name=root`, { method: 'PUT' })
    expect(mk.ok).toBe(true)
    const quota = 64 * 1024 * 1024
    const set = await fetch(`${base}/webhdfs/v1${dir}?op=SETQUOTA&namespacequota=1000&storagespacequota=${quota}&user.name=root`, { method: 'PUT' })
    expect(set.ok, await set.text()).toBe(true)
    const r = await transferCli(['--check', join(src, '*.log'), hdfsUrl(hdfs, dir), '--json'], withHadoop)
    expect(r.code, r.stderr).toBe(0)
    const target = (parse(r.stdout).checks[0] as TransferCheck).endpoints.find((e) => e.role === 'target')
    expect(target?.space?.quotaRemaining).toBe(quota)
  })

  it('cluster down (an unused loopback port): no method works, exit 1, each route names why', async () => {
    const [rpc, http] = [await freePort(), await freePort()]
    const dest = `hdfs://root@127.0.0.1:${rpc}/logferry/down?url=http://127.0.0.1:${http}`
    const r = await transferCli(['--check', join(src, '*.log'), dest, '--json'], withHadoop)
    expect(r.code, r.stderr).toBe(1)
    const out = parse(r.stdout)
    expect(out.ok).toBe(false)
    const c = out.checks[0] as TransferCheck
    expect(c.methods.every((m) => !m.available)).toBe(true)
    expect(method(c, 'distcp')?.reason).toContain(`hdfs://127.0.0.1:${rpc}/ did not answer (hadoop)`)
    expect(method(c, 'storage')?.reason).toContain('did not answer (storage)')
    const target = c.endpoints.find((e) => e.role === 'target')
    expect(target?.routes.every((x) => !x.reachable && x.error !== undefined)).toBe(true)
    expect(target?.routes[0]?.error?.code).toBe('ETRANSIENT')
    expect(target?.space).toBeUndefined()
  })
})
