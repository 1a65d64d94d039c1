/**
 * The four chunked-upload targets on their real servers, each rooted at a fresh prefix, plus
 * a raw listing that also shows hidden temporary objects (parts, compose intermediates) and,
 * for S3, multipart uploads still in progress.
 */
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import {
  AzureBlobFileSystem,
  GcsFileSystem,
  S3FileSystem,
  WebHdfsFileSystem,
  type FileSystem,
} from '../../ts/storage/index.js'
import { azureOptions, gcsOptions, s3Options } from '../servers/filesystems.js'
import type { ServersInfo } from '../servers/types.js'
// The transfer suites' server starter is generic (any of the five servers); reused here.
import { suiteServers, type SuiteServer as ServerName } from '../servers/suite-servers.js'

export type TargetName = 's3' | 'gcs' | 'azure' | 'hdfs'

export interface Target {
  name: TargetName
  missing: string | undefined
  make(): FileSystem
  /** Every object/file under the filesystem's root, hidden temporaries included (relative names). */
  rawList(fs: FileSystem): Promise<string[]>
}

const run = `up-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`
let counter = 0
export const uniquePrefix = (): string => `${run}/${++counter}`

async function hdfsWalk(fs: WebHdfsFileSystem, dir: string, out: string[]): Promise<void> {
  const r = await fs.operation<{ FileStatuses: { FileStatus: { pathSuffix: string; type: string }[] } }>(dir, 'GET', 'LISTSTATUS')
  for (const s of r.FileStatuses.FileStatus) {
    const p = dir === '' ? s.pathSuffix : `${dir}/${s.pathSuffix}`
    if (s.type === 'DIRECTORY') await hdfsWalk(fs, p, out)
    else out.push(p)
  }
}

/** The servers from the vitest globalSetup, or started by this test file. */
export async function uploaderServers(names: ServerName[] = ['s3', 'gcs', 'azure', 'hdfs']): Promise<ServersInfo> {
  return suiteServers(names)
}

function missingServer(info: ServersInfo, name: ServerName): string | undefined {
  return info[name] ? undefined : info.unavailable[name] ?? info.unavailable.all ?? 'not started'
}

export function targets(info: ServersInfo): Target[] {
  return [
    {
      name: 's3',
      missing: missingServer(info, 's3'),
      make: () => new S3FileSystem(s3Options(info, uniquePrefix())),
      rawList: async (fs) => {
        const s3 = fs as S3FileSystem
        const prefix = `${s3.objectKey('')}/`
        const objects = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }))
        const uploads = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: prefix }))
        return [
          ...(objects.Contents ?? []).map((o) => (o.Key ?? '').slice(prefix.length)),
          ...(uploads.Uploads ?? []).map((u) => `(multipart in progress) ${(u.Key ?? '').slice(prefix.length)}`),
        ].sort()
      },
    },
    {
      name: 'gcs',
      missing: missingServer(info, 'gcs'),
      make: () => new GcsFileSystem(gcsOptions(info, uniquePrefix())),
      rawList: async (fs) => {
        const g = fs as GcsFileSystem
        const prefix = `${g.objectKey('')}/`
        const [files] = await g.bucket.getFiles({ prefix })
        return files.map((f) => f.name.slice(prefix.length)).sort()
      },
    },
    {
      name: 'azure',
      missing: missingServer(info, 'azure'),
      make: () => new AzureBlobFileSystem(azureOptions(info, uniquePrefix())),
      rawList: async (fs) => {
        const a = fs as AzureBlobFileSystem
        const prefix = `${a.objectKey('')}/`
        const out: string[] = []
        for await (const b of a.container.listBlobsFlat({ prefix })) out.push(b.name.slice(prefix.length))
        return out.sort()
      },
    },
    {
      name: 'hdfs',
      missing: missingServer(info, 'hdfs'),
      make: () => new WebHdfsFileSystem({ url: info.hdfs?.url ?? 'http://127.0.0.1:1', user: 'root', root: `/logferry/${uniquePrefix()}` }),
      rawList: async (fs) => {
        const out: string[] = []
        await hdfsWalk(fs as WebHdfsFileSystem, '', out).catch((err: unknown) => {
          if ((err as { code?: string }).code !== 'ENOENT') throw err
        })
        return out.sort()
      },
    },
  ]
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256')
  for await (const c of createReadStream(path)) h.update(c as Buffer)
  return h.digest('hex')
}
