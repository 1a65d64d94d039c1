/**
 * How the suites reach the test servers as filesystems: the connection options of each started
 * server (spread them and add what a test varies, e.g. partSize), and fresh SFTP roots.
 */
import { chownSync, mkdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { AzureOptions, GcsOptions, S3Options, SftpOptions } from '../../ts/storage/index.js'
import type { ServersInfo, SftpServer } from './types.js'

export function s3Options(info: ServersInfo, prefix: string): S3Options {
  return {
    bucket: info.s3?.bucket ?? '',
    endpoint: info.s3?.endpoint,
    region: 'us-east-1',
    accessKeyId: 'test-access-key',
    secretAccessKey: 'test-secret-key',
    prefix,
  }
}

export function gcsOptions(info: ServersInfo, prefix: string): GcsOptions {
  return { bucket: info.gcs?.bucket ?? '', apiEndpoint: info.gcs?.endpoint, projectId: 'test', prefix }
}

export function azureOptions(info: ServersInfo, prefix: string): AzureOptions {
  return {
    endpoint: info.azure?.endpoint,
    accountName: info.azure?.accountName,
    accountKey: info.azure?.accountKey,
    container: info.azure?.container ?? '',
    prefix,
  }
}

/**
 * A fresh directory `rel` below the SFTP user's data dir on this machine, owned by that user
 * (with every directory created on the way), returned as an absolute path.
 */
export function sftpRoot(sftp: SftpServer | undefined, rel: string): string {
  const dataDir = sftp?.dataDir ?? '/nonexistent'
  const root = join(dataDir, rel)
  mkdirSync(root, { recursive: true })
  const { uid, gid } = statSync(dataDir)
  for (let p = root; p.startsWith(`${dataDir}/`); p = dirname(p)) chownSync(p, uid, gid)
  return root
}

/** Key-authenticated options for the SFTP user, rooted at `root`. */
export function sftpOptions(sftp: SftpServer | undefined, root: string): SftpOptions {
  return {
    host: sftp?.host ?? '127.0.0.1',
    port: sftp?.port,
    username: sftp?.username,
    privateKeyPath: sftp?.privateKeyPath,
    hostFingerprint: sftp?.hostFingerprint,
    root,
  }
}
