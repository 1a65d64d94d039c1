/**
 * Server endpoints for the transfer suite. The vitest globalSetup starts the storage servers
 * only when a run selects test/storage (or everything); for `vitest run test/transfer` it
 * provides none, so this suite starts the three it needs (S3, WebHDFS, SFTP) itself with the
 * same starters from test/servers, and stops them after the file's tests.
 */
import { chownSync, mkdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, inject } from 'vitest'
import { filesystem, type FileSystem } from '../../ts/storage/index.js'
import type { ServersInfo } from '../servers/types.js'

async function ownServers(): Promise<ServersInfo> {
  const [{ startS3 }, { startHdfs }, { startSftp }] = await Promise.all([
    import('../servers/s3.js'),
    import('../servers/hdfs.js'),
    import('../servers/sftp.js'),
  ])
  const info: ServersInfo = { unavailable: {} }
  const stops: (() => Promise<void>)[] = []
  const starters: Record<'s3' | 'hdfs' | 'sftp', () => Promise<void>> = {
    s3: async () => {
      const s = await startS3()
      stops.push(() => s.stop())
      info.s3 = { endpoint: s.endpoint, bucket: s.bucket }
    },
    hdfs: async () => {
      const s = await startHdfs()
      stops.push(() => s.stop())
      info.hdfs = { url: s.url }
    },
    sftp: async () => {
      const s = await startSftp()
      stops.push(() => s.stop())
      const { stop: _stop, kill: _kill, ...plain } = s
      info.sftp = plain
    },
  }
  await Promise.all(
    Object.entries(starters).map(([name, start]) =>
      start().catch((err: unknown) => {
        info.unavailable[name] = (err as Error).message
      }),
    ),
  )
  afterAll(async () => {
    await Promise.all(stops.map((s) => s().catch(() => undefined)))
  }, 120_000)
  return info
}

const provided = inject('storageServers')
export const servers: ServersInfo = provided.unavailable.all !== undefined ? await ownServers() : provided

const run = `transfer-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`
let counter = 0
const unique = (): string => `${run}/${++counter}`

/** Why a server cannot be used (undefined when it runs). */
export function missing(name: 's3' | 'hdfs' | 'sftp'): string | undefined {
  return servers[name] ? undefined : servers.unavailable[name] ?? 'not started'
}

/** A fresh filesystem rooted at a new prefix/directory on the named server. */
export function remote(name: 's3' | 'hdfs' | 'sftp'): FileSystem {
  if (name === 's3') {
    const s = servers.s3
    return filesystem({
      protocol: 's3',
      bucket: s?.bucket ?? '',
      endpoint: s?.endpoint,
      region: 'us-east-1',
      key: 'test-access-key',
      secret: 'test-secret-key',
      targetPath: unique(),
    })
  }
  if (name === 'hdfs') {
    const u = new URL(servers.hdfs?.url ?? 'http://127.0.0.1:1')
    return filesystem(`webhdfs://root@127.0.0.1:${u.port}/logferry/${unique()}`)
  }
  const x = servers.sftp
  const root = join(x?.dataDir ?? '/nonexistent', unique())
  mkdirSync(root, { recursive: true })
  // Give the SFTP user every directory created below its data dir.
  const dataDir = x?.dataDir ?? ''
  const { uid, gid } = statSync(dataDir)
  for (let p = root; p.startsWith(`${dataDir}/`); p = dirname(p)) chownSync(p, uid, gid)
  return filesystem({
    protocol: 'sftp',
    host: x?.host ?? '127.0.0.1',
    port: x?.port,
    username: x?.username,
    privateKeyPath: x?.privateKeyPath,
    hostFingerprint: x?.hostFingerprint,
    root,
  })
}
