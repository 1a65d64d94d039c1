/**
 * Server endpoints for the storage-method suite: S3, WebHDFS and SFTP, from the vitest
 * globalSetup or started for this suite (test/servers/suite-servers.ts), plus fresh filesystems on them.
 */
import { chownSync, mkdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { filesystem, type FileSystem } from '../../ts/storage/index.js'
import type { ServersInfo } from '../servers/types.js'
import { suiteServers } from '../servers/suite-servers.js'

export const servers: ServersInfo = await suiteServers(['s3', 'hdfs', 'sftp'])

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
