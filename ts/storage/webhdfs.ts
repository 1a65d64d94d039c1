/**
 * HDFS over the WebHDFS REST API (plain fetch), or over the NameNode's RPC port when its address
 * is known (`namenode`, hdfs-rpc.ts): then status, mkdir, rm, rename, concat, the file checksum
 * and writes go there (one RPC or one DataNode op each, instead of one or two HTTP requests),
 * listings and reads stay on WebHDFS. Writes go into a hidden temp file that is renamed into
 * place when complete; without RPC by the two-step CREATE (ask the NameNode, follow its redirect
 * to a DataNode and stream the bytes there). RemoteExceptions (the same Java exceptions on both
 * paths) are mapped onto StorageError codes.
 */
import { once } from 'node:events'
import type { IncomingMessage } from 'node:http'
import { Readable, type Writable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { BaseFileSystem } from './base.js'
import { StorageError, isStorageError, type StorageErrorCode } from './errors.js'
import { dirnamePath, isTempName, joinPath, normalizePath, tempSibling } from './path.js'
import { webHdfsConcatStrategy } from './chunked-webhdfs.js'
import { lazyReadable, runBeforePublish, sinkWritable } from './streams.js'
import { isTransient, isTransientStatus } from './transient.js'
import type {
  Checksum,
  FileInfo,
  FileSystemCapabilities,
  LocalFileDigest,
  LocalWriteOptions,
  LsOptions,
  MkdirOptions,
  ReadStreamOptions,
  RmOptions,
  SpaceInfo,
  ToolAddress,
  WriteOptions,
} from './types.js'
import { nodeHttp, nodeHttps } from './sdk.js'
import { HDFS_DEFAULT_BLOCK_SIZE } from './hdfs-checksum.js'
import { readHashed } from './hdfs-local.js'
import { HdfsRpcClient, HdfsRpcError, type HdfsFileWriter, type HdfsStatus as RpcStatus } from './hdfs-rpc.js'

export interface WebHdfsOptions {
  /** NameNode HTTP address, e.g. 'http://127.0.0.1:9870'. */
  url: string
  /** HDFS directory the filesystem is rooted at (default '/'). */
  root?: string
  /** Simple-auth user (user.name); default HADOOP_USER_NAME, then USER. */
  user?: string
  /** A delegation token; replaces user.name when set. */
  delegation?: string
  /**
   * The same NameNode's RPC address ('hdfs://host:8020'), when known: hadoop's own HDFS client
   * (distcp, hadoop fs) then reaches this filesystem there instead of over WebHDFS, and so do
   * logferry's writes (hdfs-rpc.ts: many small files are ~10x faster than through WebHDFS's
   * DataNode) as long as the cluster takes simple authentication; else they go over WebHDFS.
   */
  namenode?: string
}

interface HdfsStatus {
  pathSuffix: string
  type: 'FILE' | 'DIRECTORY' | 'SYMLINK'
  length: number
  modificationTime: number
  blockSize?: number
}

interface RemoteException {
  exception?: string
  javaClassName?: string
  message?: string
}

const EXCEPTIONS: Record<string, StorageErrorCode> = {
  FileNotFoundException: 'ENOENT',
  FileAlreadyExistsException: 'EEXIST',
  AlreadyBeingCreatedException: 'EEXIST',
  AccessControlException: 'EACCES',
  SecurityException: 'EACCES',
  AuthorizationException: 'EACCES',
  ParentNotDirectoryException: 'ENOTDIR',
  PathIsNotEmptyDirectoryException: 'ENOTEMPTY',
  PathIsNotDirectoryException: 'ENOTDIR',
  IllegalArgumentException: 'EINVAL',
  InvalidPathException: 'EINVAL',
  UnsupportedOperationException: 'ENOTSUP',
  RetriableException: 'ETRANSIENT',
  StandbyException: 'ETRANSIENT',
  SafeModeException: 'ETRANSIENT',
  ConnectException: 'ETRANSIENT',
}

export class WebHdfsFileSystem extends BaseFileSystem {
  readonly protocol = 'webhdfs'
  readonly capabilities: FileSystemCapabilities
  private readonly base: string
  private readonly root: string
  private readonly auth: Record<string, string>
  /** The NameNode's RPC port (hdfs-rpc.ts), while it takes our calls. */
  private rpc: HdfsRpcClient | undefined
  /** An RPC call got through once: later connection failures are errors, not a reason to fall back. */
  private rpcWorked = false
  /**
   * Temp files written over RPC, by absolute path, until published or dropped: their checksum as
   * their DataNodes accepted it (HdfsFileWriter.storedChecksum: the CRCs every stored byte was
   * checked against) and their status as the NameNode completed them (storedLength). The
   * verification before the publish then needs no NameNode call nor DataNode connection of its own.
   */
  private readonly stated = new Map<string, { checksum: Promise<{ algorithm: string; bytes: string }>; info: FileInfo }>()

  constructor(options: WebHdfsOptions) {
    super()
    this.base = options.url.replace(/\/+$/, '')
    this.root = `/${normalizePath(options.root ?? '/')}`
    this.auth = options.delegation
      ? { delegation: options.delegation }
      : { 'user.name': options.user ?? process.env.HADOOP_USER_NAME ?? process.env.USER ?? 'root' }
    const nameNode = new URL(this.base)
    // hadoop's own name for this filesystem: webhdfs:// (swebhdfs:// over HTTPS) on the NameNode's HTTP address.
    const toolAddress: ToolAddress = {
      kind: 'hadoop',
      uri: `${nameNode.protocol === 'https:' ? 'swebhdfs' : 'webhdfs'}://${nameNode.host}`,
      root: this.root,
      ...(this.auth['user.name'] !== undefined ? { user: this.auth['user.name'] } : {}),
      ...(options.namenode !== undefined ? { rpcUri: options.namenode.replace(/\/+$/, '') } : {}),
    }
    this.capabilities = {
      atomicPublish: 'rename',
      rename: true,
      // GETFILECHECKSUM: MD5-of-MD5-of-CRC32C (hdfs-checksum.ts computes it while streaming).
      nativeChecksum: { kinds: ['hdfs'], inStat: false },
      objectMetadata: false,
      rangedReads: true,
      parallelParts: webHdfsConcatStrategy(this),
      toolAddress,
    }
    const user = this.auth['user.name']
    if (options.namenode !== undefined && user !== undefined) {
      const rpcUrl = new URL(options.namenode.replace(/^hdfs:/, 'http:'))
      this.rpc = new HdfsRpcClient(rpcUrl.hostname.replace(/^\[|\]$/g, ''), Number(rpcUrl.port || 8020), user)
    }
  }

  /** An RPC failure as a StorageError (RemoteException names as over WebHDFS; a broken connection is transient). */
  private rpcError(err: unknown, p: string): StorageError {
    if (!(err instanceof HdfsRpcError)) return this.mapFetch(err, p)
    if (err.exception === undefined) return this.error('ETRANSIENT', p, err, err.message)
    let code: StorageErrorCode = EXCEPTIONS[err.exception] ?? 'EIO'
    if (err.exception === 'FileNotFoundException' && /is not a file/i.test(err.message)) code = 'EISDIR'
    return this.error(code, p, err, err.message)
  }

  /**
   * `op` over the NameNode's RPC port; `web` (WebHDFS) when there is no RPC address, or when that
   * port refuses simple authentication or cannot be reached before any RPC call worked (then
   * every later call goes over WebHDFS). RPC failures are StorageErrors.
   */
  private async viaRpc<T>(path: string, op: (rpc: HdfsRpcClient) => Promise<T>, web: () => Promise<T>): Promise<T> {
    const rpc = this.rpc
    if (!rpc) return web()
    try {
      const v = await op(rpc)
      this.rpcWorked = true
      return v
    } catch (err) {
      const refused = err instanceof HdfsRpcError && (err.exception === undefined || /Sasl|AccessControl.*authentication|SIMPLE/i.test(err.message))
      if (refused && !this.rpcWorked) {
        if (this.rpc === rpc) this.rpc = undefined
        rpc.close()
        return web()
      }
      throw this.rpcError(err, path)
    }
  }

  /** Whether calls currently go over the NameNode's RPC port (false once it refused them). */
  get usesRpc(): boolean {
    return this.rpc !== undefined
  }

  /**
   * Opens `path` for writing over the NameNode's RPC port (hdfs-rpc.ts), with `blockSize` blocks;
   * undefined when that is not possible (see viaRpc): then the caller writes over WebHDFS.
   * Failures are StorageErrors.
   */
  async openNativeWrite(path: string, overwrite: boolean, blockSize = HDFS_DEFAULT_BLOCK_SIZE): Promise<HdfsFileWriter | undefined> {
    const w = await this.viaRpc<HdfsFileWriter | undefined>(path, (rpc) => rpc.create(this.abs(path), blockSize, overwrite), async () => undefined)
    if (!w) return undefined
    const map = <A extends unknown[]>(f: (...a: A) => Promise<void>) => async (...a: A): Promise<void> => {
      try {
        await f(...a)
      } catch (err) {
        throw this.rpcError(err, path)
      }
    }
    const storedChecksum = w.storedChecksum?.bind(w)
    const storedLength = w.storedLength?.bind(w)
    return {
      write: map((c: Buffer) => w.write(c)),
      close: map(() => w.close()),
      abort: () => w.abort(),
      ...(storedChecksum
        ? {
            storedChecksum: async () => {
              try {
                return await storedChecksum()
              } catch (err) {
                throw this.rpcError(err, path)
              }
            },
          }
        : {}),
      ...(storedLength ? { storedLength } : {}),
    }
  }

  override async close(): Promise<void> {
    this.rpc?.close()
    this.rpc = undefined
  }

  private abs(p: string): string {
    const n = normalizePath(p)
    return this.root === '/' ? `/${n}` : n === '' ? this.root : `${this.root}/${n}`
  }

  private url(p: string, op: string, params: Record<string, string | number | boolean | undefined> = {}): string {
    const q = new URLSearchParams({ op, ...this.auth })
    for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v))
    const encoded = this.abs(p).split('/').map(encodeURIComponent).join('/')
    return `${this.base}/webhdfs/v1${encoded}?${q.toString()}`
  }

  /** Turns a non-2xx response into a StorageError (RemoteException aware). */
  private async failure(res: Response, p: string): Promise<StorageError> {
    let remote: RemoteException | undefined
    try {
      remote = ((await res.json()) as { RemoteException?: RemoteException }).RemoteException
    } catch {
      remote = undefined
    }
    const name = remote?.exception ?? ''
    let code: StorageErrorCode | undefined = EXCEPTIONS[name]
    if (name === 'FileNotFoundException' && /is not a file/i.test(remote?.message ?? '')) code = 'EISDIR'
    if (!code) {
      if (res.status === 404) code = 'ENOENT'
      else if (res.status === 401 || res.status === 403) code = 'EACCES'
      else if (isTransientStatus(res.status)) code = 'ETRANSIENT'
      else code = 'EIO'
    }
    const detail = `HTTP ${res.status}${name ? ` ${name}` : ''}${remote?.message ? `: ${remote.message}` : ''}`
    return this.error(code, p, remote ?? res.status, detail)
  }

  private mapFetch(err: unknown, p: string): StorageError {
    if (isStorageError(err)) return err
    return this.error(isTransient(err) ? 'ETRANSIENT' : 'EIO', p, err)
  }

  private async call<T>(p: string, method: string, op: string, params?: Record<string, string | number | boolean | undefined>): Promise<T> {
    let res: Response
    try {
      res = await fetch(this.url(p, op, params), { method, redirect: 'follow' })
    } catch (err) {
      throw this.mapFetch(err, p)
    }
    if (!res.ok) throw await this.failure(res, p)
    return (await res.json()) as T
  }

  /** The NameNode URL of an operation on a path (chunked uploads: two-step CREATE). */
  operationUrl(path: string, op: string, params?: Record<string, string | number | boolean | undefined>): string {
    return this.url(path, op, params)
  }

  /** One JSON WebHDFS call (CONCAT, RENAME, DELETE...); failures are StorageErrors. */
  operation<T>(path: string, method: string, op: string, params?: Record<string, string | number | boolean | undefined>): Promise<T> {
    return this.call<T>(path, method, op, params)
  }

  /**
   * The cluster's free space (GETSTATUS, Hadoop 3.3+; left out on NameNodes without it) and what
   * a space quota on `path` still allows (GETQUOTAUSAGE; none for a path not created yet).
   */
  async space(path: string): Promise<SpaceInfo> {
    const out: SpaceInfo = {}
    try {
      const s = (await this.call<{ FsStatus: { remaining: number; capacity: number } }>('', 'GET', 'GETSTATUS')).FsStatus
      out.free = s.remaining
      out.total = s.capacity
    } catch (err) {
      if (!isStorageError(err, 'EINVAL') && !isStorageError(err, 'ENOTSUP')) throw err
    }
    try {
      const q = (await this.call<{ QuotaUsage: { spaceQuota: number; spaceConsumed: number } }>(path, 'GET', 'GETQUOTAUSAGE')).QuotaUsage
      if (q.spaceQuota >= 0) out.quotaRemaining = Math.max(0, q.spaceQuota - q.spaceConsumed)
    } catch (err) {
      if (!isStorageError(err, 'ENOENT')) throw err
    }
    return out
  }

  /** The absolute HDFS path of a path under this filesystem's root. */
  absolutePath(path: string): string {
    return this.abs(path)
  }

  /** A failed WebHDFS response (or a fetch failure when `res` is an error) as a StorageError. */
  async responseError(res: Response | unknown, path: string): Promise<StorageError> {
    return res instanceof Response ? this.failure(res, path) : this.mapFetch(res, path)
  }

  private toInfo(p: string, s: HdfsStatus | RpcStatus): FileInfo {
    const dir = s.type === 'DIRECTORY'
    const info = this.info(p, dir ? 'directory' : 'file', dir ? 0 : s.length, new Date(s.modificationTime))
    if (!dir && s.blockSize) info.blockSize = s.blockSize
    return info
  }

  async stat(path: string): Promise<FileInfo> {
    const stated = this.stated.size > 0 ? this.stated.get(this.abs(path)) : undefined
    if (stated) return stated.info
    return this.viaRpc(
      path,
      async (rpc) => {
        const s = await rpc.getFileInfo(this.abs(path))
        if (!s) throw this.error('ENOENT', path, undefined, `File does not exist: ${this.abs(path)}`)
        return this.toInfo(path, s)
      },
      async () => this.toInfo(path, (await this.call<{ FileStatus: HdfsStatus }>(path, 'GET', 'GETFILESTATUS')).FileStatus),
    )
  }

  async ls(path: string, options?: LsOptions): Promise<FileInfo[]> {
    const out: FileInfo[] = []
    const walk = async (dir: string, top: boolean): Promise<void> => {
      let r: { FileStatuses: { FileStatus: HdfsStatus[] } }
      try {
        r = await this.call(dir, 'GET', 'LISTSTATUS')
      } catch (err) {
        if (!top && isStorageError(err, 'ENOENT')) return
        throw err
      }
      const statuses = r.FileStatuses.FileStatus
      // LISTSTATUS on a file returns the file itself with an empty suffix.
      if (top && statuses.length === 1 && statuses[0]?.pathSuffix === '' && statuses[0].type !== 'DIRECTORY') {
        throw this.error('ENOTDIR', path)
      }
      for (const s of [...statuses].sort((a, b) => (a.pathSuffix < b.pathSuffix ? -1 : 1))) {
        if (isTempName(s.pathSuffix)) continue
        const child = joinPath(dir, s.pathSuffix)
        out.push(this.toInfo(child, s))
        if (s.type === 'DIRECTORY' && options?.recursive) await walk(child, false)
      }
    }
    await walk(normalizePath(path), true)
    return out
  }


  async mkdir(path: string, options?: MkdirOptions): Promise<void> {
    const k = await this.kind(path)
    if (k === 'file' || (k === 'directory' && !options?.parents)) throw this.error('EEXIST', path)
    if (k === 'directory') return
    if (!options?.parents) {
      const pk = await this.kind(dirnamePath(path))
      if (pk === undefined) throw this.error('ENOENT', dirnamePath(path))
      if (pk === 'file') throw this.error('ENOTDIR', dirnamePath(path))
    }
    const made = await this.viaRpc(path, (rpc) => rpc.mkdirs(this.abs(path), true), async () => (await this.call<{ boolean: boolean }>(path, 'PUT', 'MKDIRS')).boolean)
    if (!made) throw this.error('EIO', path, undefined, 'MKDIRS returned false')
  }

  async rm(path: string, options?: RmOptions): Promise<void> {
    await this.stat(path)
    if (!(await this.delete(path, options?.recursive ?? false))) throw this.error('ENOENT', path)
  }

  /** DELETE; false when nothing was there. */
  private delete(path: string, recursive: boolean): Promise<boolean> {
    return this.viaRpc(path, (rpc) => rpc.delete(this.abs(path), recursive), async () => (await this.call<{ boolean: boolean }>(path, 'DELETE', 'DELETE', { recursive })).boolean)
  }

  /** Deletes a file, whatever happens (temp files of a failed write). */
  async deleteQuietly(path: string): Promise<void> {
    await this.delete(path, false).catch(() => undefined)
  }

  /** RENAME (never replaces); false when it did not happen. */
  private rename(from: string, to: string): Promise<boolean> {
    return this.viaRpc(from, (rpc) => rpc.rename(this.abs(from), this.abs(to)), async () => (await this.call<{ boolean: boolean }>(from, 'PUT', 'RENAME', { destination: this.abs(to) })).boolean)
  }

  /** CONCAT: the sources' blocks appended to `target` in order, the sources removed. */
  async concat(target: string, sources: readonly string[], errorPath = target): Promise<void> {
    await this.viaRpc(
      errorPath,
      (rpc) => rpc.concat(this.abs(target), sources.map((s) => this.abs(s))),
      async () => {
        // CONCAT answers 200 with an empty body, so not through call() (JSON).
        const res = await fetch(this.url(target, 'CONCAT', { sources: sources.map((s) => this.abs(s)).join(',') }), { method: 'POST' }).catch((err: unknown) => {
          throw this.mapFetch(err, errorPath)
        })
        if (!res.ok) throw await this.failure(res, errorPath)
        await res.body?.cancel()
      },
    )
  }

  /**
   * Publishes the complete temp file `tmp` as `path`: an existing file there is replaced unless
   * `overwrite` is false (EEXIST), a directory there is EISDIR. Over RPC one rename2 (replacing
   * atomically); over WebHDFS, whose RENAME never replaces, the target is cleared and the rename
   * retried (concurrent writers race there; each attempt still publishes one complete file).
   */
  async publish(tmp: string, path: string, overwrite: boolean): Promise<void> {
    const rpc = this.rpc
    if (rpc) {
      try {
        await this.viaRpc(path, (r) => r.rename2(this.abs(tmp), this.abs(path), overwrite), () => this.publishByWebHdfs(tmp, path, overwrite))
        return
      } catch (err) {
        // rename2 refuses a file over a directory with a plain IOException.
        if (isStorageError(err, 'EIO') && (await this.kind(path)) === 'directory') throw this.error('EISDIR', path, err)
        throw err
      }
    }
    await this.publishByWebHdfs(tmp, path, overwrite)
  }

  private async publishByWebHdfs(tmp: string, path: string, overwrite: boolean): Promise<void> {
    if (!overwrite) {
      if (!(await this.rename(tmp, path))) throw this.error('EEXIST', path)
      return
    }
    for (let attempt = 0; attempt < 20; attempt++) {
      if (await this.rename(tmp, path)) return
      const k = await this.kind(path)
      if (k === 'directory') throw this.error('EISDIR', path)
      if (k === 'file') {
        await this.delete(path, false).catch((err: unknown) => {
          if (!isStorageError(err, 'ENOENT')) throw err
        })
      }
    }
    throw this.error('EIO', path, undefined, 'RENAME kept failing')
  }

  override async mv(from: string, to: string): Promise<void> {
    const src = await this.stat(from)
    const dst = await this.kind(to)
    if (dst === 'directory') throw this.error('EISDIR', to)
    if (dst === 'file') {
      if (src.kind === 'directory') throw this.error('ENOTDIR', to)
      await this.delete(to, false)
    }
    const parent = dirnamePath(to)
    if (parent !== '') await this.mkdir(parent, { parents: true })
    if (!(await this.rename(from, to))) throw this.error('EIO', from, undefined, 'RENAME returned false')
  }

  createReadStream(path: string, options?: ReadStreamOptions): Readable {
    return lazyReadable(
      async () => {
        this.checkRange(path, options)
        const start = options?.start ?? 0
        const length = options?.end !== undefined ? options.end - start + 1 : undefined
        if (start > 0) {
          const info = await this.stat(path)
          if (info.kind === 'file' && start >= info.size) return Readable.from([])
        }
        const res = await fetch(this.url(path, 'OPEN', { offset: start, length }), { redirect: 'follow' })
        if (!res.ok) throw await this.failure(res, path)
        if (!res.body) return Readable.from([])
        return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>)
      },
      (err) => this.mapFetch(err, path),
    )
  }

  createWriteStream(path: string, options?: WriteOptions): Writable {
    return sinkWritable(
      async () => {
        await this.checkWritable(path, options)
        const tmp = tempSibling(path)
        const native = await this.openNativeWrite(tmp, false)
        const body = native ?? (await this.openDataNodeWrite(path, tmp))
        const tmpAbs = this.abs(tmp)
        return {
          write: (chunk) => body.write(chunk),
          close: async () => {
            await body.close()
            try {
              if (native?.storedChecksum && native.storedLength) {
                const info = this.info(tmp, 'file', native.storedLength(), new Date())
                info.blockSize = HDFS_DEFAULT_BLOCK_SIZE
                this.stated.set(tmpAbs, { checksum: native.storedChecksum(), info })
              }
              await runBeforePublish(options?.beforePublish, { path: tmp })
              await this.publish(tmp, path, options?.overwrite !== false)
            } finally {
              this.stated.delete(tmpAbs)
            }
          },
          abort: async () => {
            body.abort()
            this.stated.delete(tmpAbs)
            await this.deleteQuietly(tmp)
          },
        }
      },
      (err) => this.mapFetch(err, path),
    )
  }

  /**
   * A file of this machine, without the streams of a copy (a read stream, a hashing stage, their
   * pipeline: a quarter of the CPU per 4 KiB file): read in chunks that go straight to the write
   * (createWriteStream's: temp name, beforePublish, rename2), hashed on the way, HDFS's file
   * checksum included, so the check before the publish compares it with the DataNode's.
   */
  async writeLocalFile(localPath: string, path: string, options: LocalWriteOptions): Promise<LocalFileDigest> {
    let read: LocalFileDigest | undefined
    const w = this.createWriteStream(path, {
      ...options,
      beforePublish: async (staged) => options.beforePublish?.({ ...staged, ...(read ? { read } : {}) }),
    })
    // A failed write ends in 'error', which the drain wait and `finished` report.
    w.on('error', () => undefined)
    try {
      read = await readHashed(localPath, options.checksums, async (chunk) => {
        if (!w.write(chunk)) await Promise.race([once(w, 'drain'), finished(w)])
        if (w.errored) throw w.errored
      })
    } catch (err) {
      // Destroyed before its end, the write removes its temp file: done before the failure is told.
      w.destroy()
      await finished(w).catch(() => undefined)
      throw w.errored ?? err
    }
    w.end()
    await finished(w)
    return read
  }

  /** The two-step WebHDFS CREATE of `tmp`: the bytes streamed to the DataNode the NameNode names. */
  private async openDataNodeWrite(path: string, tmp: string): Promise<HdfsFileWriter> {
    // Step 1: the NameNode answers with a redirect to a DataNode.
    let res: Response
    try {
      res = await fetch(this.url(tmp, 'CREATE', { overwrite: false }), { method: 'PUT', redirect: 'manual' })
    } catch (err) {
      throw this.mapFetch(err, path)
    }
    if (res.status !== 307 && res.status !== 302) {
      if (res.ok) await res.body?.cancel()
      throw res.ok ? this.error('EIO', path, undefined, `CREATE answered ${res.status} without redirect`) : await this.failure(res, path)
    }
    await res.body?.cancel()
    const location = res.headers.get('location')
    if (!location) throw this.error('EIO', path, undefined, 'CREATE redirect without Location')

    // Step 2: stream the bytes to the DataNode in one chunked request. node:http rather than
    // fetch here: DataNodes answer "100 Continue" unasked, which undici rejects.
    const target = new URL(location)
    const req = (target.protocol === 'https:' ? nodeHttps() : nodeHttp()).request(target, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
    })
    let failure: unknown
    const response = new Promise<void>((resolve, reject) => {
      req.once('error', reject)
      req.once('response', (r: IncomingMessage) => {
        const chunks: Buffer[] = []
        r.on('data', (c: Buffer) => chunks.push(c))
        r.once('error', reject)
        r.once('end', () => {
          if (r.statusCode === 201 || r.statusCode === 200) return resolve()
          const text = Buffer.concat(chunks).toString()
          const res = new Response(text, { status: r.statusCode ?? 500 })
          this.failure(res, path).then(reject, reject)
        })
      })
    })
    response.catch((err: unknown) => {
      failure = err
      req.destroy()
    })
    const body = req
    return {
      write: async (chunk) => {
        if (failure) throw failure
        if (!body.write(chunk)) {
          await Promise.race([once(body, 'drain'), response.then(() => Promise.reject(this.error('EIO', path, undefined, 'DataNode answered before the upload ended')))])
        }
        if (failure) throw failure
      },
      close: async () => {
        if (failure) throw failure
        body.end()
        await response
      },
      abort: () => {
        body.destroy()
      },
    }
  }

  /** GETFILECHECKSUM's answer; over RPC composed the same way from the DataNodes' block checksums (hdfs-rpc.ts). */
  protected override async nativeChecksum(path: string): Promise<Checksum> {
    const r = await this.viaRpc(
      path,
      (rpc) => this.stated.get(this.abs(path))?.checksum ?? rpc.fileChecksum(this.abs(path)),
      async () => (await this.call<{ FileChecksum: { algorithm: string; bytes: string } }>(path, 'GET', 'GETFILECHECKSUM')).FileChecksum,
    )
    return { algorithm: r.algorithm, value: r.bytes }
  }
}

