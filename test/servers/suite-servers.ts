/**
 * Servers for a suite run on its own. The vitest globalSetup starts the storage servers only
 * when a run selects test/storage (or everything); otherwise a suite starts the ones it needs
 * with the same starters and stops them after its tests. With CI set, a server that does not
 * start fails the suite (the error is thrown from here, in the suite's module scope).
 */
import { afterAll, inject } from 'vitest'
import type { ServersInfo } from './types.js'
import { inCI } from './ci.js'

export type SuiteServer = 's3' | 'hdfs' | 'sftp' | 'gcs' | 'azure'

async function startOwn(names: readonly SuiteServer[]): Promise<ServersInfo> {
  const info: ServersInfo = { unavailable: {} }
  const stops: (() => Promise<void>)[] = []
  const starters: Record<SuiteServer, () => Promise<void>> = {
    s3: async () => {
      const s = await (await import('./s3.js')).startS3()
      stops.push(() => s.stop())
      info.s3 = { endpoint: s.endpoint, bucket: s.bucket }
    },
    hdfs: async () => {
      const s = await (await import('./hdfs.js')).startHdfs()
      stops.push(() => s.stop())
      info.hdfs = { url: s.url, rpcUrl: s.rpcUrl }
    },
    sftp: async () => {
      const s = await (await import('./sftp.js')).startSftp()
      stops.push(() => s.stop())
      const { stop: _stop, kill: _kill, ...plain } = s
      info.sftp = plain
    },
    gcs: async () => {
      const s = await (await import('./gcs.js')).startGcs()
      stops.push(() => s.stop())
      info.gcs = { endpoint: s.endpoint, bucket: s.bucket }
    },
    azure: async () => {
      const s = await (await import('./azure.js')).startAzure()
      stops.push(() => s.stop())
      info.azure = { endpoint: s.endpoint, accountName: s.accountName, accountKey: s.accountKey, container: s.container }
    },
  }
  await Promise.all(
    names.map((name) =>
      starters[name]().catch((err: unknown) => {
        info.unavailable[name] = (err as Error).message
      }),
    ),
  )
  afterAll(async () => {
    await Promise.all(stops.map((s) => s().catch(() => undefined)))
  }, 120_000)
  return info
}

/**
 * The globalSetup's servers when it started them, else the named ones started for this suite.
 * Throws (failing the suite) when CI is set and one of `names` is unavailable.
 */
export async function suiteServers(names: readonly SuiteServer[]): Promise<ServersInfo> {
  const provided = inject('storageServers')
  const info = provided.unavailable.all !== undefined ? await startOwn(names) : provided
  const missing = names.filter((n) => !info[n])
  if (missing.length > 0 && inCI) {
    throw new Error(`test servers failed to start (CI is set, so this is fatal): ${missing.map((n) => `${n}: ${info.unavailable[n] ?? 'not started'}`).join('; ')}`)
  }
  return info
}
