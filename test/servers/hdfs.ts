/** HDFS: a MiniDFSCluster (hadoop-minicluster, built by install.sh) with WebHDFS on 127.0.0.1. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { SERVERS_DIR, spawnManaged } from './process.js'
import type { HdfsServer } from './types.js'

// Hadoop 3.4 reflects into JDK internals; Java 17 needs these opened explicitly.
const JAVA17_FLAGS = [
  'java.base/java.lang',
  'java.base/java.lang.reflect',
  'java.base/java.io',
  'java.base/java.net',
  'java.base/java.nio',
  'java.base/java.util',
  'java.base/java.util.concurrent',
  'java.base/java.util.concurrent.atomic',
  'java.base/sun.nio.ch',
  'java.base/sun.nio.cs',
  'java.base/sun.security.action',
  'java.base/sun.util.calendar',
].flatMap((m) => ['--add-opens', `${m}=ALL-UNNAMED`])

export interface StartedHdfs extends HdfsServer {
  port: number
  /** NameNode RPC port (the hdfs:// address the hadoop CLI uses). */
  rpcPort: number
  baseDir: string
  stop(): Promise<void>
  kill(): Promise<void>
}

export interface HdfsStartOptions {
  /** NameNode HTTP port (default: any free port). */
  port?: number
  /** Reuse this cluster directory without formatting (a restart). */
  baseDir?: string
  /** DataNodes (default 1). */
  dataNodes?: number
  /** Hadoop configuration settings beside MiniHdfs's own (e.g. dfs.replication). */
  conf?: Record<string, string>
}

export async function startHdfs(opts: HdfsStartOptions = {}): Promise<StartedHdfs> {
  const dir = join(SERVERS_DIR, 'hdfs')
  const cpFile = join(dir, 'classpath.txt')
  if (!existsSync(join(dir, 'classes', 'MiniHdfs.class')) || !existsSync(cpFile)) {
    throw new Error(`MiniHdfs not built in ${dir}: run test/servers/install.sh`)
  }
  const classpath = `${join(dir, 'classes')}:${readFileSync(cpFile, 'utf8').trim()}`
  const format = opts.baseDir === undefined
  const baseDir = opts.baseDir ?? mkdtempSync(join(tmpdir(), 'logferry-hdfs-'))
  const dataNodes = opts.dataNodes ?? 1
  const settings = [...(dataNodes !== 1 ? [`dataNodes=${dataNodes}`] : []), ...Object.entries(opts.conf ?? {}).map(([k, v]) => `${k}=${v}`)]
  const proc = spawnManaged(
    'hdfs',
    'java',
    ['-Xmx1g', '-XX:+UseSerialGC', '-Djava.net.preferIPv4Stack=true', `-Dlog4j.configuration=file:${resolve('test/servers/hdfs/log4j.properties')}`, ...JAVA17_FLAGS, '-cp', classpath, 'MiniHdfs', baseDir, String(opts.port ?? 0), String(format), ...settings],
    { stdinPipe: true, readyLine: /READY (\d+)(?: (\d+))?(?: (\d+))?/ },
  )
  const timer = setTimeout(() => void proc.stop(), 180_000)
  let m: RegExpMatchArray | undefined
  try {
    m = await proc.ready
  } catch (err) {
    throw new Error(`${(err as Error).message}`)
  } finally {
    clearTimeout(timer)
  }
  const port = Number(m?.[1])
  const rpcPort = Number(m?.[2] ?? 0)
  // A MiniHdfs built before it took settings ignores them (and states no DataNode count).
  if (settings.length > 0 && Number(m?.[3] ?? 0) !== dataNodes) {
    await proc.stop()
    if (format) rmSync(baseDir, { recursive: true, force: true })
    throw new Error(`MiniHdfs started ${m?.[3] ?? 'an unknown number of'} DataNodes, not ${dataNodes}: rebuild it with test/servers/install.sh`)
  }
  return {
    url: `http://127.0.0.1:${port}`,
    rpcUrl: `hdfs://127.0.0.1:${rpcPort}`,
    port,
    rpcPort,
    baseDir,
    stop: async () => {
      await proc.stop()
      if (format) rmSync(baseDir, { recursive: true, force: true })
    },
    kill: () => proc.kill(),
  }
}
