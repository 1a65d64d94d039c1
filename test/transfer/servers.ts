/**
 * Server endpoints for the storage-method suite: S3, WebHDFS and SFTP, from the vitest
 * globalSetup or started for this suite (test/servers/suite-servers.ts), plus fresh filesystems on them.
 */
import { filesystem, type FileSystem } from '../../ts/storage/index.js'
import { s3Options, sftpOptions, sftpRoot } from '../servers/filesystems.js'
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
  if (name === 's3') return filesystem({ protocol: 's3', ...s3Options(servers, unique()) })
  if (name === 'hdfs') {
    const u = new URL(servers.hdfs?.url ?? 'http://127.0.0.1:1')
    return filesystem(`webhdfs://root@127.0.0.1:${u.port}/logferry/${unique()}`)
  }
  return filesystem({ protocol: 'sftp', ...sftpOptions(servers.sftp, sftpRoot(servers.sftp, unique())) })
}
