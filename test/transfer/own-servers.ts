/**
 * Starts the storage servers a transfer suite needs when the vitest globalSetup did not (it only
 * starts them for runs that select test/storage). Servers stop after the file's tests. Outside CI
 * a server that fails to start is reported in `unavailable` (its tests skip, loudly); with CI set
 * that is an error, so the run fails.
 */
import { afterAll, inject } from 'vitest'
import type { ServersInfo } from '../servers/types.js'

export type ServerName = 's3' | 'gcs' | 'azure' | 'hdfs' | 'sftp'

/** A started server's handle for tests that stop or kill it themselves. */
export interface Handles {
  hdfsKill?: () => Promise<void>
}

export async function startServers(names: readonly ServerName[], handles: Handles = {}): Promise<ServersInfo> {
  const provided = inject('storageServers')
  if (provided.unavailable.all === undefined && names.every((n) => provided[n] !== undefined || provided.unavailable[n] !== undefined)) {
    return provided
  }
  const info: ServersInfo = { unavailable: {} }
  const stops: (() => Promise<void>)[] = []
  const starters: Record<ServerName, () => Promise<void>> = {
    s3: async () => {
      const s = await (await import('../servers/s3.js')).startS3()
      stops.push(() => s.stop())
      info.s3 = { endpoint: s.endpoint, bucket: s.bucket }
    },
    gcs: async () => {
      const s = await (await import('../servers/gcs.js')).startGcs()
      stops.push(() => s.stop())
      info.gcs = { endpoint: s.endpoint, bucket: s.bucket }
    },
    azure: async () => {
      const s = await (await import('../servers/azure.js')).startAzure()
      stops.push(() => s.stop())
      info.azure = { endpoint: s.endpoint, accountName: s.accountName, accountKey: s.accountKey, container: s.container }
    },
    hdfs: async () => {
      const s = await (await import('../servers/hdfs.js')).startHdfs()
      stops.push(() => s.stop())
      handles.hdfsKill = () => s.kill()
      info.hdfs = { url: s.url, rpcUrl: s.rpcUrl }
    },
    sftp: async () => {
      const s = await (await import('../servers/sftp.js')).startSftp()
      stops.push(() => s.stop())
      const { stop: _stop, kill: _kill, ...plain } = s
      info.sftp = plain
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
  const failed = Object.entries(info.unavailable)
  if (failed.length > 0) {
    const list = failed.map(([n, why]) => `${n}: ${why}`).join('\n')
    if (process.env.CI) throw new Error(`test servers failed to start (CI is set, so this fails the run):\n${list}`)
    console.warn(`!! transfer tests: servers missing, their tests are SKIPPED (not in CI):\n${list}`)
  }
  return info
}
