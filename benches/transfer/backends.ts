/**
 * The benchmark's targets: each backend's real test server (from test/servers), a logferry
 * filesystem for a prefix on it, and the same place as an rclone remote configured through
 * RCLONE_CONFIG_* environment variables (no rclone.conf is written).
 */
import { join } from 'node:path'
import { filesystem, type FileSystem } from '../../ts/storage/index.js'
import { sftpOptions, sftpRoot } from '../../test/servers/filesystems.js'

export interface Target {
  /** logferry filesystem rooted at the prefix. */
  fs: () => FileSystem
  /** rclone destination (`remote:path`) for the same prefix. */
  rclone: string
}

export interface Backend {
  name: string
  /** A fresh, empty place on the backend. */
  target: (prefix: string) => Target
  /** RCLONE_CONFIG_* variables of its remote. */
  env: Record<string, string>
  /** 4 KiB files of the untimed warm-up copy by each tool (run.ts; default 64). */
  warmFiles?: number
  stop: () => Promise<void>
}

const remoteEnv = (remote: string, vars: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(vars).map(([k, v]) => [`RCLONE_CONFIG_${remote.toUpperCase()}_${k.toUpperCase()}`, v]))

export async function startBackend(name: string, scratch: string): Promise<Backend> {
  switch (name) {
    case 'local': {
      const root = join(scratch, 'local-target')
      return {
        name,
        target: (p) => ({ fs: () => filesystem({ protocol: 'file', root: join(root, p) }), rclone: join(root, p) }),
        env: {},
        stop: async () => undefined,
      }
    }
    case 's3': {
      const { startS3 } = await import('../../test/servers/s3.js')
      const s = await startS3()
      // moto's first signed request initialises its request handling (3.8 s measured: a HEAD,
      // then 0.13 s for the next), and its first multipart upload its part and assembly paths:
      // made here, so that the tool going first in the first run does not pay them alone.
      const warm = filesystem({ protocol: 's3', bucket: s.bucket, endpoint: s.endpoint, region: 'us-east-1', key: 'bench', secret: 'bench', prefix: 'warm' })
      await (async () => {
        await warm.exists('none')
        await warm.writeFile('multipart', Buffer.alloc(12 << 20))
        await warm.rm('multipart')
      })().finally(() => warm.close())
      return {
        name,
        target: (p) => ({
          fs: () =>
            filesystem({ protocol: 's3', bucket: s.bucket, endpoint: s.endpoint, region: 'us-east-1', key: 'bench', secret: 'bench', prefix: p }),
          rclone: `lfs3:${s.bucket}/${p}`,
        }),
        env: remoteEnv('lfs3', {
          type: 's3',
          provider: 'Other',
          endpoint: s.endpoint,
          access_key_id: 'bench',
          secret_access_key: 'bench',
          region: 'us-east-1',
          force_path_style: 'true',
          no_check_bucket: 'true',
        }),
        stop: () => s.stop(),
      }
    }
    case 'gcs': {
      const { startGcs } = await import('../../test/servers/gcs.js')
      const s = await startGcs()
      // fake-gcs-server's memory backend slows down as a bucket fills (a 10,000-file copy into a
      // bucket holding 10,000 took twice as long as into an empty one): every copy gets a fresh,
      // empty bucket, so that neither tool pays for what the other wrote before it.
      const buckets = await gcsBuckets(s.endpoint, FRESH_PLACES)
      let next = 0
      return {
        name,
        target: (p) => {
          const bucket = buckets[next++ % buckets.length] as string
          return {
            fs: () => filesystem({ protocol: 'gs', bucket, apiEndpoint: s.endpoint, projectId: 'bench', prefix: p }),
            rclone: `lfgcs:${bucket}/${p}`,
          }
        },
        env: remoteEnv('lfgcs', { type: 'google cloud storage', anonymous: 'true', endpoint: `${s.endpoint}/storage/v1/`, bucket_policy_only: 'true' }),
        stop: () => s.stop(),
      }
    }
    case 'azure': {
      const { startAzure } = await import('../../test/servers/azure.js')
      const s = await startAzure()
      // Azurite, like fake-gcs-server, slows down as a container fills (10,000 files into a
      // container holding 10,000: 493 s against 278 s into a fresher one): every copy gets its own
      // empty container. rclone 1.60 builds https://{account}.{endpoint} from account + key, so it
      // reaches an http emulator only through a SAS URL, used as given: an account SAS reaches
      // every container.
      const { AccountSASPermissions, AccountSASResourceTypes, AccountSASServices, BlobServiceClient, StorageSharedKeyCredential, generateAccountSASQueryParameters } = await import('@azure/storage-blob')
      const cred = new StorageSharedKeyCredential(s.accountName, s.accountKey)
      const sas = generateAccountSASQueryParameters(
        {
          services: AccountSASServices.parse('b').toString(),
          resourceTypes: AccountSASResourceTypes.parse('sco').toString(),
          permissions: AccountSASPermissions.parse('racwdl'),
          expiresOn: new Date(Date.now() + 24 * 3600_000),
        },
        cred,
      ).toString()
      const containers = await azureContainers(new BlobServiceClient(s.endpoint, cred), FRESH_PLACES)
      let next = 0
      return {
        name,
        target: (p) => {
          const container = containers[next++ % containers.length] as string
          return {
            fs: () => filesystem({ protocol: 'az', container, endpoint: s.endpoint, accountName: s.accountName, accountKey: s.accountKey, prefix: p }),
            rclone: `lfaz:${container}/${p}`,
          }
        },
        env: remoteEnv('lfaz', { type: 'azureblob', sas_url: `${s.endpoint}?${sas}` }),
        stop: () => s.stop(),
      }
    }
    case 'hdfs': {
      const { startHdfs } = await import('../../test/servers/hdfs.js')
      // A DataNode reports a finalized block to the NameNode asynchronously (an incremental block
      // report, queued there), so a `complete` sent right after the last ack often answers false.
      // hadoop's client and logferry ask again; rclone 1.60 (its HDFS library's Close asks once)
      // fails the file with "replication in progress" and cleans it up, and with 1,000 x 100 KiB
      // its three whole-copy attempts failed too. With two DataNodes holding every block and
      // num-committed-allowed 1, the NameNode completes a file whose last block the client has
      // committed before its replicas are reported (a setting for clusters writing small files;
      // with a single replica it does not apply): both tools get the same cluster, on which one
      // `complete` succeeds (2,000 x 4 KiB: exactly 2,000 calls from each).
      const s = await startHdfs({ dataNodes: 2, conf: { 'dfs.replication': '2', 'dfs.namenode.file.close.num-committed-allowed': '1' } })
      if (!s.rpcPort) throw new Error('MiniHdfs did not report its RPC port (rebuild it with test/servers/install.sh)')
      // The NameNode's first WebHDFS request initialises its REST layer (12-18 s on a loaded machine):
      // made here, so that it is charged to neither tool's figure.
      const warm = filesystem(`webhdfs://root@127.0.0.1:${s.port}/`)
      await warm.ls('').finally(() => warm.close())
      // So are the NameNode's and DataNodes' first thousands of writes, for either tool: after 200
      // warming writes two logferry copies of 10,000 x 4 KiB in a row took 39.36 s then 28.36 s
      // (same CPU, 12.03 / 11.51 s; load 10-11), after 10,000 warming writes 31.96 / 26.05 s, two
      // rclone copies 36.93 / 32.15 s; after three logferry copies of 2,000 local files 29.82 /
      // 26.20 s. The tool going first in the first run (always logferry) would pay it alone:
      // both tools copy 3,000 local files before timing (run.ts).
      return {
        warmFiles: 3000,
        name,
        target: (p) => ({ fs: () => filesystem(`webhdfs://root@127.0.0.1:${s.port}/bench/${p}?namenode=hdfs://127.0.0.1:${s.rpcPort}`), rclone: `lfhdfs:/bench/${p}` }),
        env: remoteEnv('lfhdfs', { type: 'hdfs', namenode: `127.0.0.1:${s.rpcPort}`, username: 'root' }),
        stop: () => s.stop(),
      }
    }
    case 'sftp': {
      const { startSftp } = await import('../../test/servers/sftp.js')
      const s = await startSftp()
      return {
        name,
        target: (p) => {
          const root = sftpRoot(s, p)
          return { fs: () => filesystem({ protocol: 'sftp', ...sftpOptions(s, root) }), rclone: `lfsftp:${root}` }
        },
        env: remoteEnv('lfsftp', { type: 'sftp', host: s.host, port: String(s.port), user: s.username, key_file: s.privateKeyPath, shell_type: 'unix' }),
        stop: () => s.stop(),
      }
    }
    default:
      throw new Error(`unknown backend '${name}' (local, s3, gcs, azure, hdfs, sftp)`)
  }
}

/** Fresh buckets / containers made for the GCS and Azure targets (two per measured row: 16 rows before one is reused). */
const FRESH_PLACES = 32

/** Creates `count` empty buckets on fake-gcs-server. */
async function gcsBuckets(endpoint: string, count: number): Promise<string[]> {
  const run = Date.now().toString(36)
  const names = Array.from({ length: count }, (_, i) => `bench-${run}-${i}`)
  for (const name of names) {
    const r = await fetch(`${endpoint}/storage/v1/b?project=bench`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) })
    await r.body?.cancel()
    if (!r.ok) throw new Error(`fake-gcs-server: creating bucket ${name} failed with ${r.status}`)
  }
  return names
}

/** Creates `count` empty containers on Azurite. */
async function azureContainers(service: import('@azure/storage-blob').BlobServiceClient, count: number): Promise<string[]> {
  const run = Date.now().toString(36)
  const names = Array.from({ length: count }, (_, i) => `bench-${run}-${i}`)
  for (const name of names) await service.getContainerClient(name).create()
  return names
}
