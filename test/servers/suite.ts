/**
 * Servers for one test file. When the vitest globalSetup started the storage servers (a run
 * that selects test/storage or everything) their addresses are reused; otherwise (e.g.
 * `vitest run test/uploader`) the file starts the servers it names itself, in parallel, and
 * stops them after its tests. With CI=true a server that does not start fails the file.
 */
import { afterAll, inject } from 'vitest'
import type { ServersInfo } from './types.js'

export type ServerName = 's3' | 'gcs' | 'azure' | 'hdfs' | 'sftp'

type Stop = () => Promise<void>

const starters: Record<ServerName, (info: ServersInfo) => Promise<Stop>> = {
  s3: async (info) => {
    const s = await (await import('./s3.js')).startS3()
    info.s3 = { endpoint: s.endpoint, bucket: s.bucket }
    return () => s.stop()
  },
  gcs: async (info) => {
    const s = await (await import('./gcs.js')).startGcs()
    info.gcs = { endpoint: s.endpoint, bucket: s.bucket }
    return () => s.stop()
  },
  azure: async (info) => {
    const s = await (await import('./azure.js')).startAzure()
    info.azure = { endpoint: s.endpoint, accountName: s.accountName, accountKey: s.accountKey, container: s.container }
    return () => s.stop()
  },
  hdfs: async (info) => {
    const s = await (await import('./hdfs.js')).startHdfs()
    info.hdfs = { url: s.url, rpcUrl: s.rpcUrl }
    return () => s.stop()
  },
  sftp: async (info) => {
    const s = await (await import('./sftp.js')).startSftp()
    const { stop: _stop, kill: _kill, ...plain } = s
    info.sftp = plain
    return () => s.stop()
  },
}

/** The named servers: the globalSetup's, or started (and stopped after the file) here. */
export async function suiteServers(names: ServerName[]): Promise<ServersInfo> {
  const provided = inject('storageServers')
  if (provided.unavailable.all === undefined) return provided
  const info: ServersInfo = { unavailable: {} }
  const stops: Stop[] = []
  afterAll(async () => {
    await Promise.all(stops.map((s) => s().catch(() => undefined)))
  }, 120_000)
  await Promise.all(
    names.map((name) =>
      starters[name](info).then(
        (stop) => {
          stops.push(stop)
        },
        (err: unknown) => {
          info.unavailable[name] = (err as Error).message
        },
      ),
    ),
  )
  const failed = Object.entries(info.unavailable)
  if (failed.length > 0 && process.env.CI) {
    throw new Error(`test servers failed to start (CI is set, so this is fatal):\n${failed.map(([n, m]) => `${n}: ${m}`).join('\n')}`)
  }
  return info
}

/** Why a server cannot be used (undefined when it runs). */
export function missingServer(info: ServersInfo, name: ServerName): string | undefined {
  return info[name] ? undefined : info.unavailable[name] ?? info.unavailable.all ?? 'not started'
}
