/**
 * The seven backends under test, each rooted at a fresh directory/prefix on its real server.
 * Some are built from URLs, some from config objects, some from classes, to cover filesystem().
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateBlobSASQueryParameters, ContainerSASPermissions, StorageSharedKeyCredential } from '@azure/storage-blob'
import { afterAll, inject } from 'vitest'
import {
  AzureBlobFileSystem,
  GcsFileSystem,
  MemoryFileSystem,
  type FileSystem,
  filesystem,
} from '../../ts/storage/index.js'
import { azureOptions, gcsOptions, sftpOptions, sftpRoot } from '../servers/filesystems.js'
import type { ServersInfo } from '../servers/types.js'

export interface Denied {
  fs: FileSystem
  /** A path the filesystem may not write. */
  writePath: string
  /** A path it may not read (undefined when the backend only denies writes). */
  readPath?: string
  cleanup(): Promise<void>
}

export interface Backend {
  name: string
  /** Why it cannot run (a missing server; never set in CI). */
  missing?: string
  make(): FileSystem
  /** Builds a filesystem whose server really refuses access; undefined when the server has no permission model. */
  denied?: () => Promise<Denied>
}

const run = `run-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`

// Local roots of this test file live under one directory, removed after the file's tests.
const localBase = mkdtempSync(join(tmpdir(), 'logferry-local-'))
afterAll(() => rmSync(localBase, { recursive: true, force: true }))
let counter = 0
const unique = (): string => `${run}/${++counter}`

/**
 * A directory of root's made private (SETPERMISSION 700), opened as user mallory: over WebHDFS
 * only, or with `namenode` over the NameNode's RPC port.
 */
async function hdfsDenied(url: string, namenode?: string): Promise<Denied> {
  const dir = `/logferry/${unique()}/private`
  const owner = filesystem({ protocol: 'webhdfs', url, user: 'root' })
  await owner.writeFile(`${dir}/secret.txt`, 'x')
  const r = await fetch(`${url}/webhdfs/v1${dir}?op=SETPERMISSION&permission=700&user.name=root`, { method: 'PUT' })
  await r.body?.cancel()
  if (!r.ok) throw new Error(`SETPERMISSION failed: ${r.status}`)
  return {
    fs: filesystem({ protocol: 'webhdfs', url, user: 'mallory', root: dir, ...(namenode ? { namenode } : {}) }),
    writePath: 'new.txt',
    readPath: 'secret.txt',
    cleanup: () => owner.close(),
  }
}

export function servers(): ServersInfo {
  return inject('storageServers')
}

export function backends(): Backend[] {
  const s = servers()
  const missing = (name: keyof ServersInfo): string | undefined =>
    s[name] ? undefined : s.unavailable[name] ?? s.unavailable.all ?? 'not started'
  return [
    {
      name: 'local',
      make: () => filesystem(`file://${mkdtempSync(join(localBase, 'fs-'))}`),
      // /sys refuses file creation even to root: a real kernel EACCES.
      denied: async () => ({ fs: filesystem({ protocol: 'file', root: '/sys' }), writePath: 'logferry-denied.txt', cleanup: async () => undefined }),
    },
    {
      name: 'memory',
      make: () => filesystem(`memory://${unique().replace(/\//g, '-')}`),
      denied: async () => {
        const name = unique().replace(/\//g, '-')
        await new MemoryFileSystem({ name }).writeFile('secret.txt', 'x')
        return { fs: new MemoryFileSystem({ name, readOnly: true }), writePath: 'new.txt', cleanup: async () => undefined }
      },
    },
    {
      name: 's3',
      missing: missing('s3'),
      make: () =>
        filesystem({
          protocol: 's3',
          bucket: s.s3?.bucket ?? '',
          endpoint: s.s3?.endpoint,
          region: 'us-east-1',
          key: 'test-access-key',
          secret: 'test-secret-key',
          targetPath: unique(),
        }),
      denied: async () => {
        // A dedicated moto with IAM enforcement: a user without policies is denied everything.
        const { startS3 } = await import('../servers/s3.js')
        const srv = await startS3({ initialNoAuthActions: 3 })
        const ep = srv.endpoint
        const put = await fetch(`${ep}/locked`, { method: 'PUT' })
        await put.body?.cancel()
        // moto routes by the credential scope's service; signatures are not checked yet.
        const form = (body: Record<string, string>): RequestInit => ({
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: 'AWS4-HMAC-SHA256 Credential=setup/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
          },
          body: new URLSearchParams({ Version: '2010-05-08', ...body }).toString(),
        })
        await (await fetch(`${ep}/`, form({ Action: 'CreateUser', UserName: 'nobody' }))).text()
        const xml = await (await fetch(`${ep}/`, form({ Action: 'CreateAccessKey', UserName: 'nobody' }))).text()
        const id = /<AccessKeyId>([^<]+)</.exec(xml)?.[1]
        const secret = /<SecretAccessKey>([^<]+)</.exec(xml)?.[1]
        if (!id || !secret) throw new Error(`moto IAM did not return an access key: ${xml.slice(0, 200)}`)
        return {
          fs: filesystem({ protocol: 's3', bucket: 'locked', endpoint: ep, region: 'us-east-1', key: id, secret, maxAttempts: 1 }),
          writePath: 'x.txt',
          readPath: 'x.txt',
          cleanup: () => srv.stop(),
        }
      },
    },
    {
      name: 'gcs',
      missing: missing('gcs'),
      make: () => new GcsFileSystem(gcsOptions(s, unique())),
      // fake-gcs-server has no IAM: GCS permission mapping (403 -> EACCES) is not exercised on a server.
    },
    {
      name: 'azure',
      missing: missing('azure'),
      make: () => new AzureBlobFileSystem(azureOptions(s, unique())),
      denied: async () => {
        const a = s.azure
        if (!a) throw new Error('azure server missing')
        const prefix = unique()
        await new AzureBlobFileSystem({ ...a, prefix }).writeFile('readable.txt', 'x')
        const sas = generateBlobSASQueryParameters(
          {
            containerName: a.container,
            permissions: ContainerSASPermissions.parse('rl'),
            expiresOn: new Date(Date.now() + 3600_000),
          },
          new StorageSharedKeyCredential(a.accountName, a.accountKey),
        ).toString()
        return {
          fs: new AzureBlobFileSystem({ endpoint: a.endpoint, container: a.container, sasToken: sas, prefix, maxTries: 1 }),
          writePath: 'new.txt',
          cleanup: async () => undefined,
        }
      },
    },
    {
      name: 'hdfs',
      missing: missing('hdfs'),
      make: () => {
        const u = new URL(s.hdfs?.url ?? 'http://127.0.0.1:1')
        return filesystem(`webhdfs://root@127.0.0.1:${u.port}/logferry/${unique()}`)
      },
      denied: () => hdfsDenied(s.hdfs?.url ?? ''),
    },
    {
      // The same MiniDFSCluster with its NameNode's RPC address: status, mkdir, rm, rename,
      // checksums and writes go over RPC + DataNode data transfer (ts/storage/hdfs-rpc.ts).
      name: 'hdfs-rpc',
      missing: missing('hdfs') ?? (s.hdfs?.rpcUrl ? undefined : 'MiniHdfs reported no RPC port'),
      make: () => {
        const u = new URL(s.hdfs?.url ?? 'http://127.0.0.1:1')
        return filesystem(`webhdfs://root@127.0.0.1:${u.port}/logferry/${unique()}?namenode=${s.hdfs?.rpcUrl ?? ''}`)
      },
      denied: () => hdfsDenied(s.hdfs?.url ?? '', s.hdfs?.rpcUrl),
    },
    {
      name: 'sftp',
      missing: missing('sftp'),
      make: () => filesystem({ protocol: 'sftp', ...sftpOptions(s.sftp, sftpRoot(s.sftp, unique())) }),
      denied: async () => {
        const x = s.sftp
        if (!x) throw new Error('sftp server missing')
        // A directory owned by root, mode 755: the SFTP user may read it but not write.
        const root = join(x.dataDir, unique())
        mkdirSync(join(root, 'locked'), { recursive: true })
        chmodSync(join(root, 'locked'), 0o755)
        const fs = filesystem(`sftp://${x.username}:${encodeURIComponent(x.password)}@127.0.0.1:${x.port}${root}`)
        return { fs, writePath: 'locked/new.txt', cleanup: async () => rmSync(root, { recursive: true, force: true }) }
      },
    },
  ]
}
