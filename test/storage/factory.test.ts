/** filesystem(): URLs, config objects (including the fsspec-style aliases) and instances. */
import { describe, expect, it } from 'vitest'
import {
  AzureBlobFileSystem,
  GcsFileSystem,
  LocalFileSystem,
  MemoryFileSystem,
  S3FileSystem,
  SftpFileSystem,
  StorageError,
  WebHdfsFileSystem,
  filesystem,
} from '../../ts/storage/index.js'

describe('filesystem()', () => {
  it('builds each backend from its URL', async () => {
    expect(filesystem('file:///tmp')).toBeInstanceOf(LocalFileSystem)
    expect((filesystem('/var/tmp') as LocalFileSystem).root).toBe('/var/tmp')
    expect(filesystem('memory://x')).toBeInstanceOf(MemoryFileSystem)
    const s3 = filesystem('s3://bucket/some/prefix?endpoint=http://127.0.0.1:9&region=eu-west-1')
    expect(s3).toBeInstanceOf(S3FileSystem)
    expect((s3 as S3FileSystem).bucket).toBe('bucket')
    expect(await (s3 as S3FileSystem).client.config.region()).toBe('eu-west-1')
    expect(filesystem('gs://bucket/p', { apiEndpoint: 'http://127.0.0.1:9' })).toBeInstanceOf(GcsFileSystem)
    expect(filesystem('az://container/p', { endpoint: 'http://127.0.0.1:9/acct' })).toBeInstanceOf(AzureBlobFileSystem)
    const abfs = filesystem('abfs://logs@myacct.dfs.core.windows.net/data', { accountKey: Buffer.from('k').toString('base64') })
    expect(abfs).toBeInstanceOf(AzureBlobFileSystem)
    expect((abfs as AzureBlobFileSystem).container.containerName).toBe('logs')
    expect((abfs as AzureBlobFileSystem).container.url).toContain('myacct.blob.core.windows.net')
    expect(filesystem('hdfs://hdfs@namenode:9870/data')).toBeInstanceOf(WebHdfsFileSystem)
    expect(filesystem('webhdfs://namenode/data')).toBeInstanceOf(WebHdfsFileSystem)
    expect(filesystem('sftp://user:p%40ss@host:2222/srv')).toBeInstanceOf(SftpFileSystem)
  })

  it('accepts config objects with the fsspec-style keys', () => {
    const s3 = filesystem({ protocol: 's3', bucket: 'b', key: 'AKIA', secret: 's', targetPath: 'transfers/' })
    expect(s3).toBeInstanceOf(S3FileSystem)
    expect(filesystem({ protocol: 'hdfs', host: 'nn', port: 9870, user: 'hdfs', targetPath: '/user/data' })).toBeInstanceOf(WebHdfsFileSystem)
    expect(filesystem({ protocol: 'gcs', bucket: 'b', project: 'p', apiEndpoint: 'http://127.0.0.1:9' })).toBeInstanceOf(GcsFileSystem)
    expect(
      filesystem({ protocol: 'abfs', accountName: 'acct', accountKey: Buffer.from('k').toString('base64'), container: 'c', targetPath: '/data/' }),
    ).toBeInstanceOf(AzureBlobFileSystem)
    expect(filesystem({ protocol: 'sftp', host: 'h', username: 'u', password: 'p' })).toBeInstanceOf(SftpFileSystem)
    expect(filesystem({ protocol: 'memory' })).toBeInstanceOf(MemoryFileSystem)
  })

  it('returns an existing instance unchanged', () => {
    const m = new MemoryFileSystem()
    expect(filesystem(m)).toBe(m)
  })

  it('rejects unknown protocols with EINVAL', () => {
    expect(() => filesystem('ftp://host/x')).toThrow(StorageError)
    let code: string | undefined
    try {
      filesystem({ protocol: 'nope' } as unknown as Parameters<typeof filesystem>[0])
    } catch (err) {
      code = (err as StorageError).code
    }
    expect(code).toBe('EINVAL')
  })

  it('keeps paths inside the root', async () => {
    const m = filesystem('memory://jail')
    await m.writeFile('../../etc/x', 'y')
    expect(await m.exists('etc/x')).toBe(true)
  })
})
