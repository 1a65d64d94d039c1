/** Starts every storage test server in parallel; CI set turns any failure into a hard error. */
import { startAzure } from './azure.js'
import { startGcs } from './gcs.js'
import { startHdfs } from './hdfs.js'
import { startS3 } from './s3.js'
import { startSftp } from './sftp.js'
import type { ServersInfo } from './types.js'
import { inCI } from './ci.js'

export interface RunningServers {
  info: ServersInfo
  stop(): Promise<void>
}

type Stopper = { stop(): Promise<void> }

export async function startAll(): Promise<RunningServers> {
  const info: ServersInfo = { unavailable: {} }
  const stoppers: Stopper[] = []
  const starters: Record<string, () => Promise<Stopper & object>> = {
    s3: async () => {
      const s = await startS3()
      info.s3 = { endpoint: s.endpoint, bucket: s.bucket }
      return s
    },
    gcs: async () => {
      const s = await startGcs()
      info.gcs = { endpoint: s.endpoint, bucket: s.bucket }
      return s
    },
    azure: async () => {
      const s = await startAzure()
      info.azure = { endpoint: s.endpoint, accountName: s.accountName, accountKey: s.accountKey, container: s.container }
      return s
    },
    hdfs: async () => {
      const s = await startHdfs()
      info.hdfs = { url: s.url, rpcUrl: s.rpcUrl }
      return s
    },
    sftp: async () => {
      const s = await startSftp()
      const { stop: _stop, kill: _kill, ...plain } = s
      info.sftp = plain
      return s
    },
  }
  const errors: string[] = []
  await Promise.all(
    Object.entries(starters).map(async ([name, start]) => {
      const t0 = Date.now()
      try {
        stoppers.push(await start())
        console.log(`[servers] ${name} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
      } catch (err) {
        const msg = (err as Error).message
        info.unavailable[name] = msg
        errors.push(`${name}: ${msg}`)
      }
    }),
  )
  const stop = async (): Promise<void> => {
    await Promise.all(stoppers.map((s) => s.stop().catch(() => undefined)))
  }
  if (errors.length > 0) {
    if (inCI) {
      await stop()
      throw new Error(`storage test servers failed to start (CI is set, so this is fatal):\n${errors.join('\n')}`)
    }
    const bar = '!'.repeat(78)
    console.warn(`\n${bar}\n!! STORAGE TEST SERVERS MISSING - their backends will be SKIPPED (not in CI)\n${errors.map((e) => `!!   ${e}`).join('\n')}\n${bar}\n`)
  }
  return { info, stop }
}
