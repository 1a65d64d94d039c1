/**
 * The one storage URL parser (ts/storage/url.ts) and its three users: filesystem(url), the
 * endpoints the external tools get (transfer/endpoint.ts) and the CLI's source splitting
 * (cli/source-spec.ts). No server is needed: parsing and building filesystems do not connect.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { splitLocation, isUrl } from '../../ts/cli/source-spec.js'
import { AzureBlobFileSystem, LocalFileSystem, MemoryFileSystem, StorageError, WebHdfsFileSystem, filesystem } from '../../ts/storage/index.js'
import { isStorageUrl, parseLocation, parseStorageUrl } from '../../ts/storage/url.js'
import { endpointOf } from '../../ts/transfer/endpoint.js'

function storageError(f: () => unknown): StorageError {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(StorageError)
    return e as StorageError
  }
  throw new Error('expected a StorageError')
}

describe('parseLocation', () => {
  it('splits every scheme into its store and the path within', () => {
    expect(parseLocation('s3://bucket/dir/*.gz?endpoint=http://127.0.0.1:9000&region=eu-west-1')).toEqual({
      protocol: 's3',
      store: { protocol: 's3', bucket: 'bucket', endpoint: 'http://127.0.0.1:9000', region: 'eu-west-1' },
      storeUrl: 's3://bucket?endpoint=http://127.0.0.1:9000&region=eu-west-1',
      path: 'dir/*.gz',
    })
    expect(parseLocation('s3a://b')).toMatchObject({ protocol: 's3', store: { bucket: 'b' }, path: '' })
    expect(parseLocation('gcs://b/x/y.log')).toMatchObject({ protocol: 'gs', store: { protocol: 'gs', bucket: 'b' }, storeUrl: 'gcs://b', path: 'x/y.log' })
    expect(parseLocation('az://logs/2026/*.log')).toMatchObject({ protocol: 'az', store: { protocol: 'az', container: 'logs' }, path: '2026/*.log' })
    expect(parseLocation('abfs://logs@myacct.dfs.core.windows.net/data/x')).toMatchObject({
      protocol: 'az',
      store: { protocol: 'az', container: 'logs', accountName: 'myacct' },
      storeUrl: 'abfs://logs@myacct.dfs.core.windows.net',
      path: 'data/x',
    })
    expect(parseLocation('webhdfs://nn:9871/logs/app/')).toEqual({
      protocol: 'webhdfs',
      store: { protocol: 'webhdfs', url: 'http://nn:9871' },
      storeUrl: 'webhdfs://nn:9871/',
      path: '/logs/app',
    })
    expect(parseLocation('hdfs://hdfs@nn/data?user.name=ignored')).toMatchObject({ store: { url: 'http://nn:9870', user: 'hdfs' }, path: '/data' })
    expect(parseLocation('webhdfs://nn/data?user.name=bob')).toMatchObject({ store: { url: 'http://nn:9870', user: 'bob' } })
    expect(parseLocation('swebhdfs://nn:9871/')).toMatchObject({ store: { url: 'https://nn:9871' }, path: '/' })
    expect(parseLocation('sftp://user:p%40ss@host:2222/srv/logs/*.log?privateKeyPath=/k')).toEqual({
      protocol: 'sftp',
      store: { protocol: 'sftp', host: 'host', port: 2222, username: 'user', password: 'p@ss', privateKeyPath: '/k' },
      storeUrl: 'sftp://user:p%40ss@host:2222/?privateKeyPath=/k',
      path: '/srv/logs/*.log',
    })
    expect(parseLocation('ssh://[::1]/x')).toMatchObject({ protocol: 'sftp', store: { host: '::1', port: 22 }, path: '/x' })
    expect(parseLocation('memory://shared/a/b')).toMatchObject({ protocol: 'memory', store: { protocol: 'memory', name: 'shared' }, storeUrl: 'memory://shared', path: 'a/b' })
    expect(parseLocation('file:///var/log/a%20b.log')).toEqual({ protocol: 'file', store: { protocol: 'file' }, storeUrl: 'file:///', path: '/var/log/a b.log' })
    expect(parseLocation('file://localhost/tmp')).toMatchObject({ path: '/tmp' })
  })

  it('takes local paths as they are: absolute, relative, Windows-looking', () => {
    for (const p of ['/var/log/*.log', 'logs/app.log', './x', '../y/*.gz', 'C:\\logs\\app.log', 'C:/logs/app.log', 'C://logs', 'name#1.log']) {
      expect(isStorageUrl(p), p).toBe(false)
      expect(parseLocation(p), p).toEqual({ protocol: 'file', store: { protocol: 'file' }, storeUrl: 'file:///', path: p })
    }
    expect(isStorageUrl('s3://b')).toBe(true)
  })

  it('rejects bad URLs with EINVAL naming the URL and the problem, without leaking a password', () => {
    const cases: [string, string][] = [
      ['s3:///dir', "malformed URL 's3:///dir': expected s3://bucket/path"],
      ['az:///x', "malformed URL 'az:///x': expected az://container/path"],
      ['s3://bucket:9000/x', "malformed URL 's3://bucket:9000/x': a s3 URL names a bucket, not a server"],
      ['abfs://myacct.dfs.core.windows.net/x', "malformed URL 'abfs://myacct.dfs.core.windows.net/x': expected abfs://container@account.dfs.core.windows.net/path"],
      ['sftp://host:99999/x', "malformed URL 'sftp://host:99999/x': port 99999 is not in 1-65535"],
      ['webhdfs://:9870/x', "malformed URL 'webhdfs://:9870/x': expected webhdfs://host[:port]/path"],
      ['file://logs/x.log', "malformed URL 'file://logs/x.log': a file URL names no host (write file:///logs/x.log)"],
      ['file:///x?mode=1', "malformed URL 'file:///x?mode=1': a file URL takes no query parameters"],
      ['s3://b/%zz', "malformed URL 's3://b/%zz': bad percent-encoding in '/%zz'"],
      ['sftp://host:2x/', "malformed URL 'sftp://host:2x/': 'host:2x' is not a host[:port]"],
      ['ftp://host/x', "unknown protocol 'ftp'"],
    ]
    for (const [url, detail] of cases) {
      const e = storageError(() => parseLocation(url))
      expect(e.code, url).toBe('EINVAL')
      expect(e.message, url).toBe(`EINVAL: filesystem (${detail})`)
    }
    const secret = storageError(() => parseLocation('sftp://u:hunter2@host:0/x'))
    expect(secret.message).not.toContain('hunter2')
    expect(secret.message).toContain('port 0 is not in 1-65535')
    expect(storageError(() => parseLocation('')).code).toBe('EINVAL')
  })
})

describe('filesystem(url) uses it', () => {
  it('roots the filesystem at the path', () => {
    expect(parseStorageUrl('s3://b/some/prefix/')).toEqual({ protocol: 's3', bucket: 'b', prefix: 'some/prefix' })
    expect(parseStorageUrl('webhdfs://nn:9870/data/')).toEqual({ protocol: 'webhdfs', url: 'http://nn:9870', root: '/data' })
    expect(parseStorageUrl('sftp://h/srv')).toEqual({ protocol: 'sftp', host: 'h', port: 22, root: '/srv' })
    expect(parseStorageUrl('logs')).toEqual({ protocol: 'file', root: 'logs' })
    expect((filesystem('file:///tmp/') as LocalFileSystem).root).toBe('/tmp')
    expect((filesystem('logs') as LocalFileSystem).root).toBe(resolve('logs'))
    expect(filesystem('memory://m')).toBeInstanceOf(MemoryFileSystem)
    expect(filesystem('hdfs://hdfs@nn:9870/data?user.name=x')).toBeInstanceOf(WebHdfsFileSystem)
    expect(filesystem('abfs://c@acct.dfs.core.windows.net/d', { accountKey: Buffer.from('k').toString('base64') })).toBeInstanceOf(AzureBlobFileSystem)
  })

  it('refuses a memory URL with a path (it names a filesystem, not a directory)', () => {
    expect(storageError(() => filesystem('memory://m/dir')).message).toBe(
      "EINVAL: filesystem (malformed URL 'memory://m/dir': a memory URL names a filesystem, not a directory in it (memory://name))",
    )
  })
})

describe('the external tools and the CLI use it', () => {
  it('endpointOf reads server, port, user and root from the filesystem the same parse built (its declared toolAddress)', () => {
    const key = join(mkdtempSync(join(tmpdir(), 'lf-key-')), 'k')
    writeFileSync(key, 'not a key: only its path is looked at here')
    expect(endpointOf(filesystem('webhdfs://hdfs@nn:9871/logs'))).toEqual({ kind: 'hadoop', uri: 'webhdfs://nn:9871', root: '/logs', user: 'hdfs' })
    expect(endpointOf(filesystem('swebhdfs://nn/x?user.name=bob'))).toMatchObject({ kind: 'hadoop', uri: expect.stringMatching(/^swebhdfs:\/\/nn(:\d+)?$/), root: '/x', user: 'bob' })
    expect(endpointOf(filesystem(`sftp://u@h:2222/srv?privateKeyPath=${key}`))).toEqual({ kind: 'ssh', host: 'h', port: 2222, username: 'u', privateKeyPath: key, root: '/srv' })
    expect(endpointOf(filesystem('file:///data'))).toEqual({ kind: 'local', root: '/data' })
    expect(endpointOf(new MemoryFileSystem())).toMatchObject({ kind: 'other', protocol: 'memory' })
  })

  it('splitLocation groups sources by store and keeps globs', () => {
    expect(splitLocation('/var/log/*.log')).toEqual({ filesystem: 'file:///', path: '/var/log/*.log' })
    expect(splitLocation('file:///var/log/app')).toEqual({ filesystem: 'file:///', path: '/var/log/app' })
    expect(splitLocation('s3://bucket/dir/**/*.gz?endpoint=http://127.0.0.1:9')).toEqual({ filesystem: 's3://bucket?endpoint=http://127.0.0.1:9', path: 'dir/**/*.gz' })
    expect(splitLocation('webhdfs://nn:9870/logs/{a,b}/*.log')).toEqual({ filesystem: 'webhdfs://nn:9870/', path: '/logs/{a,b}/*.log' })
    expect(splitLocation('sftp://u@h/home/u/x.log')).toEqual({ filesystem: 'sftp://u@h/', path: '/home/u/x.log' })
    expect(isUrl('C:\\logs')).toBe(false)
    expect(() => splitLocation('gs:///x')).toThrow(/malformed URL 'gs:\/\/\/x': expected gs:\/\/bucket\/path/)
  })
})
