/**
 * The seed's switches and environment variables on `logferry transfer`, run as a child process
 * against local disk and a MiniDFSCluster (hadoop run by the launcher install.sh builds):
 * each switch, each variable, flags winning over variables, bad values refused with their code.
 */
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { seedLocations, readSeedEnv } from '../../ts/cli/transfer-seed-switches.js'
import { filesystem, type FileSystem } from '../../ts/storage/index.js'
import { inCI } from '../servers/ci.js'
import { suiteServers } from '../servers/suite-servers.js'
import { clusterArg, HADOOP_HOME, hdfsUrl, transferCli } from './transfer-seed-helpers.js'

const hadoopMissing = existsSync(join(HADOOP_HOME, 'bin', 'hadoop')) ? undefined : `${HADOOP_HOME}/bin/hadoop missing (run test/servers/install.sh)`
if (hadoopMissing && inCI) throw new Error(hadoopMissing)
const servers = await suiteServers(['hdfs'])
const hdfs = servers.hdfs
const skipHdfs = !inCI && (hdfs === undefined || hadoopMissing !== undefined)

const tmp = mkdtempSync(join(tmpdir(), 'logferry-seed-flags-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
const run = `seed-flags-${Date.now().toString(36)}`
let n = 0
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const withHadoop = { HADOOP_HOME, HADOOP_USER_NAME: 'root' }

/** Two files in a fresh directory; `glob` names them (a directory SRC would be copied as a directory). */
function localFiles(): { dir: string; glob: string; files: Map<string, Buffer> } {
  const dir = join(tmp, `src-${++n}`)
  const files = new Map([
    ['a.log', randomBytes(2000)],
    ['b.log', Buffer.from('bee\n')],
  ])
  mkdirSync(dir, { recursive: true })
  for (const [k, v] of files) writeFileSync(join(dir, k), v)
  return { dir, glob: join(dir, '*.log'), files }
}

const opened: FileSystem[] = []
afterAll(async () => Promise.all(opened.map((f) => f.close().catch(() => undefined))))
function hdfsFs(dir: string): FileSystem {
  const fs = filesystem(hdfsUrl(hdfs, dir))
  opened.push(fs)
  return fs
}
const freshHdfsDir = (): string => `/logferry/${run}/${++n}`

interface JsonReport {
  ok: boolean
  totals: { copied: number; failed: number; deleted: number }
  files: { method: string; outcome: string; target: string; error?: { code: string; message: string } }[]
}
const json = (stdout: string): JsonReport => JSON.parse(stdout) as JsonReport

async function expectOnHdfs(dir: string, files: Map<string, Buffer>): Promise<void> {
  const fs = hdfsFs(dir)
  for (const [k, v] of files) expect(sha(await fs.readFile(k)), k).toBe(sha(v))
}

describe('seed switches: how SRC and DEST are found', () => {
  const env = {}
  it('a target switch makes every positional a SRC; the path goes on the named cluster', () => {
    expect(seedLocations(['a', 'b'], { targetCluster: 'nn2:8020', targetHdfsPath: '/t' }, env)).toEqual({ sources: ['a', 'b'], target: 'hdfs://nn2:8020/t' })
    expect(seedLocations(['a'], { targetCluster: 'hdfs://nn2:8020?url=http://nn2:50070' }, env)).toEqual({ sources: ['a'], target: 'hdfs://nn2:8020/?url=http://nn2:50070' })
  })
  it('--source-hdfs-path without a cluster goes on the target cluster (a same-cluster copy); a target path without one on the source cluster', () => {
    expect(seedLocations([], { sourceHdfsPath: '/s', targetCluster: 'webhdfs://nn:9870', targetHdfsPath: '/t' }, env)).toEqual({ sources: ['webhdfs://nn:9870/s'], target: 'webhdfs://nn:9870/t' })
    expect(seedLocations([], { sourceHdfsPath: 'hdfs://nn1:8020/s', targetHdfsPath: '/t' }, env)).toEqual({ sources: ['hdfs://nn1:8020/s'], target: 'hdfs://nn1:8020/t' })
  })
  it('the environment fills in only what the command line leaves open', () => {
    const e = readSeedEnv({ TARGET_CLUSTER: 'nn2', TARGET_HDFS_PATH: '/t', SOURCE_HDFS_PATH: '/s' })
    // Two positionals: SRC DEST as always, the variables unused.
    expect(seedLocations(['a', 'b'], {}, e)).toEqual({ sources: ['a'], target: 'b' })
    // One positional with a target in the environment: it is a SRC.
    expect(seedLocations(['a'], {}, e)).toEqual({ sources: ['a'], target: 'hdfs://nn2/t' })
    // None: both from the environment.
    expect(seedLocations([], {}, e)).toEqual({ sources: ['hdfs://nn2/s'], target: 'hdfs://nn2/t' })
    // A flag beats its variable.
    expect(seedLocations(['a'], { targetHdfsPath: '/flag' }, e)).toEqual({ sources: ['a'], target: 'hdfs://nn2/flag' })
    // With --source-hdfs-path, a lone positional is DEST.
    expect(seedLocations(['out'], { sourceHdfsPath: 'hdfs://nn1/s' }, e)).toEqual({ sources: ['hdfs://nn1/s'], target: 'out' })
  })
  it('an HDFS path with no cluster anywhere is a usage error naming the switches', () => {
    expect(() => seedLocations(['a'], { targetHdfsPath: '/t' }, {})).toThrow(/--target-cluster/)
    expect(() => seedLocations(['a'], { targetCluster: 'http://nn:1' }, {})).toThrow(/--target-cluster must be a NameNode/)
  })
})

describe('seed variables: bad values refused with ERR_INVALID_CONFIG naming the variable', () => {
  it.each([
    ['USE_DISTCP', 'maybe'],
    ['TARGET_CLUSTER', 'http://nn:9870'],
    ['TARGET_HDFS_PATH', 'relative/dir'],
    ['SOURCE_HDFS_PATH', 'relative/dir'],
  ])('%s=%s', async (name, value) => {
    const src = localFiles()
    const r = await transferCli([src.glob, join(tmp, `never-${++n}`)], { [name]: value })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('ERR_INVALID_CONFIG')
    expect(r.stderr).toContain(`${name}: `)
    expect(existsSync(join(tmp, `never-${n}`))).toBe(false)
  })
})

describe('seed switches on the command line (local)', () => {
  it('--help lists every seed switch, the variables and the method table', async () => {
    const r = await transferCli(['--help'])
    expect(r.code).toBe(0)
    for (const s of ['--use-distcp', '--no-distcp', '--source-hdfs-path', '--target-cluster', '--target-hdfs-path', '--max-workers', '--chunk-size', '--mirror', '--maps', '--strategy', '--check', 'USE_DISTCP', 'SOURCE_HDFS_PATH', 'TARGET_CLUSTER', 'TARGET_HDFS_PATH']) expect(r.stdout, s).toContain(s)
    expect(r.stdout).toMatch(/method\s+tool\s+copies/)
    for (const m of ['distcp', 'hdfs-put', 'hdfs-cp', 'scp', 'storage']) expect(r.stdout).toMatch(new RegExp(`^\\s+${m}\\s+`, 'm'))
  })

  it('--max-workers is --concurrency: its value reaches the validator; a contradicting pair is refused', async () => {
    const src = localFiles()
    const zero = await transferCli([src.glob, join(tmp, `w-${++n}`), '--max-workers', '0'])
    expect(zero.code).toBe(2)
    expect(zero.stderr).toMatch(/concurrency/)
    const both = await transferCli([src.glob, join(tmp, `w-${++n}`), '--max-workers', '2', '--concurrency', '3'])
    expect(both.code).toBe(2)
    expect(both.stderr).toContain('--max-workers 2 contradicts --concurrency 3')
    const ok = await transferCli([src.glob, join(tmp, `w-${++n}`), '--max-workers', '1', '--json'])
    expect(ok.code).toBe(0)
    expect(json(ok.stdout).totals.copied).toBe(2)
  })

  // Its effect on the parts of a multipart upload: test/transfer/chunk-size.test.ts.
  it('--chunk-size takes a size with a suffix (the units parser) and refuses a bad one with its code', async () => {
    const src = localFiles()
    const bad = await transferCli([src.glob, join(tmp, `c-${++n}`), '--chunk-size', '12 parsecs'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('ERR_INVALID_ARG: chunkSize "12 parsecs" is not a size')
    const dest = join(tmp, `c-${++n}`)
    const ok = await transferCli([src.glob, dest, '--chunk-size', '8MiB', '--json'])
    expect(ok.code).toBe(0)
    expect(ok.stderr).toBe('')
    expect(sha(readFileSync(join(dest, 'a.log')))).toBe(sha(src.files.get('a.log') as Buffer))
  })

  it('--mirror (and its alias --delete) deletes target files absent at the source, each reported', async () => {
    for (const flag of ['--mirror', '--delete']) {
      const src = localFiles()
      const dest = join(tmp, `m-${++n}`)
      mkdirSync(dest)
      writeFileSync(join(dest, 'gone.log'), 'old')
      const r = await transferCli([src.glob, dest, flag, '--json'])
      expect(r.code, r.stderr).toBe(0)
      const rep = json(r.stdout)
      expect(rep.totals).toMatchObject({ copied: 2, deleted: 1 })
      expect(rep.files.find((f) => f.outcome === 'deleted')?.target).toMatch(/gone\.log$/)
      expect(existsSync(join(dest, 'gone.log'))).toBe(false)
    }
  })

  it('--strategy, --maps and --preserve reach the validator (bad values named); --no-distcp with --method distcp is refused', async () => {
    const src = localFiles()
    const dest = join(tmp, `s-${++n}`)
    const bad = await transferCli([src.glob, dest, '--strategy', 'fastest'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/strategy must be one of 'dynamic', 'uniformsize'/)
    const maps = await transferCli([src.glob, dest, '-m', '0'])
    expect(maps.code).toBe(2)
    expect(maps.stderr).toMatch(/maps/)
    const storageMaps = await transferCli([src.glob, dest, '--no-distcp', '-m', '2'])
    expect(storageMaps.code).toBe(2)
    expect(storageMaps.stderr).toMatch(/maps is a distcp option .* not used by 'storage'/)
    const preserve = await transferCli([src.glob, dest, '--preserve', 'xyz!'])
    expect(preserve.code).toBe(2)
    const contra = await transferCli([src.glob, dest, '--no-distcp', '--method', 'distcp'])
    expect(contra.code).toBe(2)
    expect(contra.stderr).toContain('--no-distcp contradicts --method distcp')
    expect(existsSync(dest)).toBe(false)
  })
})

describe.skipIf(skipHdfs)('seed switches and variables against a MiniDFSCluster', () => {
  it('--use-distcp --target-cluster --target-hdfs-path: distcp copies local SRCs onto the named cluster', async () => {
    const src = localFiles()
    const dir = freshHdfsDir()
    const r = await transferCli([src.glob, '--use-distcp', '--target-cluster', clusterArg(hdfs), '--target-hdfs-path', dir, '--json'], withHadoop)
    expect(r.code, r.stderr).toBe(0)
    const rep = json(r.stdout)
    expect(rep.totals.copied).toBe(2)
    expect(new Set(rep.files.map((f) => f.method))).toEqual(new Set(['distcp']))
    await expectOnHdfs(dir, src.files)
  })

  it('USE_DISTCP=true, TARGET_CLUSTER, TARGET_HDFS_PATH from the environment with one positional SRC', async () => {
    const src = localFiles()
    const dir = freshHdfsDir()
    const r = await transferCli([src.glob, '--json'], { ...withHadoop, USE_DISTCP: 'true', TARGET_CLUSTER: clusterArg(hdfs), TARGET_HDFS_PATH: dir })
    expect(r.code, r.stderr).toBe(0)
    expect(new Set(json(r.stdout).files.map((f) => f.method))).toEqual(new Set(['distcp']))
    await expectOnHdfs(dir, src.files)
  })

  it('flags win over the variables: --no-distcp over USE_DISTCP=true, --target-hdfs-path over TARGET_HDFS_PATH', async () => {
    const src = localFiles()
    const envDir = freshHdfsDir()
    const flagDir = freshHdfsDir()
    const r = await transferCli([src.glob, '--no-distcp', '--target-hdfs-path', flagDir, '--json'], { ...withHadoop, USE_DISTCP: 'true', TARGET_CLUSTER: clusterArg(hdfs), TARGET_HDFS_PATH: envDir })
    expect(r.code, r.stderr).toBe(0)
    expect(new Set(json(r.stdout).files.map((f) => f.method))).toEqual(new Set(['storage']))
    await expectOnHdfs(flagDir, src.files)
    expect(await hdfsFs(envDir).exists('a.log')).toBe(false)
  })

  it('USE_DISTCP=false is the storage method', async () => {
    const src = localFiles()
    const dir = freshHdfsDir()
    const r = await transferCli([src.glob, '--target-cluster', clusterArg(hdfs), '--target-hdfs-path', dir, '--json'], { ...withHadoop, USE_DISTCP: 'false' })
    expect(r.code, r.stderr).toBe(0)
    expect(new Set(json(r.stdout).files.map((f) => f.method))).toEqual(new Set(['storage']))
    await expectOnHdfs(dir, src.files)
  })

  it('--source-hdfs-path (flag) and SOURCE_HDFS_PATH (variable) copy from HDFS to a local DEST', async () => {
    const dir = freshHdfsDir()
    const files = new Map([['x.log', randomBytes(5000)]])
    const fs = hdfsFs(dir)
    for (const [k, v] of files) await fs.writeFile(k, v)
    const viaFlag = join(tmp, `from-hdfs-${++n}`)
    const a = await transferCli(['--source-hdfs-path', hdfsUrl(hdfs, `${dir}/*.log`), viaFlag, '--json'], withHadoop)
    expect(a.code, a.stderr).toBe(0)
    expect(sha(readFileSync(join(viaFlag, 'x.log')))).toBe(sha(files.get('x.log') as Buffer))
    const viaEnv = join(tmp, `from-hdfs-${++n}`)
    const b = await transferCli([viaEnv, '--json'], { ...withHadoop, SOURCE_HDFS_PATH: hdfsUrl(hdfs, `${dir}/*.log`) })
    expect(b.code, b.stderr).toBe(0)
    expect(sha(readFileSync(join(viaEnv, 'x.log')))).toBe(sha(files.get('x.log') as Buffer))
  })

  it('--source-hdfs-path without a cluster goes on --target-cluster: a same-cluster copy (hdfs-cp under auto)', async () => {
    const from = freshHdfsDir()
    const to = freshHdfsDir()
    const files = new Map([['y.log', randomBytes(3000)]])
    const fs = hdfsFs(from)
    for (const [k, v] of files) await fs.writeFile(k, v)
    const r = await transferCli(['--source-hdfs-path', `${from}/*.log`, '--target-cluster', clusterArg(hdfs), '--target-hdfs-path', to, '--json'], withHadoop)
    expect(r.code, r.stderr).toBe(0)
    expect(json(r.stdout).totals.copied).toBe(1)
    await expectOnHdfs(to, files)
  })
})
