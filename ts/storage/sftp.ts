/**
 * SFTP over ssh2 connections (opened lazily, reopened after a drop; a few more while requests
 * are waiting on every open one, up to `connections`: each is one sshd process on the server,
 * so several files are written in parallel there too). Key or password auth. Writes go to a
 * hidden temp file that `posix-rename@openssh.com` atomically moves into place, after the
 * beforePublish hook checked it against the server's own hash of it (sftp-hasher.ts).
 */
import type { EventEmitter } from 'node:events'
import { readFileSync } from 'node:fs'
import type { Readable, Writable } from 'node:stream'
import type { Client, ConnectConfig, SFTPWrapper, Stats } from 'ssh2'
import { BaseFileSystem } from './base.js'
import { StorageError, isStorageError, type StorageErrorCode } from './errors.js'
import { dirnamePath, isTempName, joinPath, normalizePath, tempSibling } from './path.js'
import { lazyReadable, runBeforePublish, sinkWritable, type Sink } from './streams.js'
import { ssh2 } from './sdk.js'
import { RemoteHasher, type FollowedHash, type RemoteDigest } from './sftp-hasher.js'
import { localSource } from './sftp-local.js'
import { WritePipeline, connectionLost } from './sftp-write.js'
import { isTransient } from './transient.js'
import type { Checksum, ChecksumAlgorithm, FileInfo, FileSystemCapabilities, LocalFileDigest, LocalWriteOptions, ToolAddress, LsOptions, MkdirOptions, ReadStreamOptions, RmOptions, WriteOptions } from './types.js'

export interface SftpOptions {
  host: string
  port?: number
  username?: string
  password?: string
  /** Private key (PEM/OpenSSH text or Buffer). */
  privateKey?: string | Buffer
  /** Path of a private key file, read when `privateKey` is not given. */
  privateKeyPath?: string
  passphrase?: string
  /** Remote directory the filesystem is rooted at (default '/'). */
  root?: string
  /** Expected host key SHA-256 fingerprint (base64, as ssh-keygen -l prints after 'SHA256:'). */
  hostFingerprint?: string
  /** Connection timeout (default 20 s). */
  readyTimeoutMs?: number
  /**
   * Compute sha256/md5 checksums on the server with `sha256sum`/`md5sum` when the account has a
   * shell (default true); false always reads the content back.
   */
  remoteChecksum?: boolean
  /** SSH connections used at most at once (default 4; 1: everything over one connection). */
  connections?: number
}

// SSH_FX_* status codes (draft-ietf-secsh-filexfer).
const STATUS: Record<number, StorageErrorCode> = {
  2: 'ENOENT',
  3: 'EACCES',
  6: 'ETRANSIENT', // no connection
  7: 'ETRANSIENT', // connection lost
  8: 'ENOTSUP',
  11: 'EEXIST',
  12: 'EACCES', // write protect
  18: 'ENOTEMPTY',
  19: 'ENOTDIR',
  24: 'EISDIR',
}

interface Session {
  client: Client
  sftp: SFTPWrapper
  /** Set when the connection or channel goes away: ssh2 never answers requests sent after that. */
  closed: boolean
  /** Requests and write streams using it now (a new request goes to the least busy connection). */
  busy: number
  hasher: RemoteHasher
  socket: { cork(): void; uncork(): void } | undefined
}

interface Corkable {
  cork(): void
  uncork(): void
}

/**
 * What a connection's incoming bytes make it send goes out in one writev: the packets a window
 * adjustment releases (ssh2 sends each on its own, a syscall per 32 KiB) and the requests that
 * answers start (the next write, close, rename) are corked until this turn of the event loop is
 * done.
 */
function corkWhileAnswering(socket: EventEmitter, corkable: Corkable): void {
  let corked = false
  const uncork = (): void => {
    corked = false
    corkable.uncork()
  }
  socket.prependListener('data', () => {
    if (corked) return
    corked = true
    corkable.cork()
    setImmediate(uncork)
  })
}

/** A write this large is hashed on the server while it is written (RemoteHasher.follow). */
const FOLLOW_FROM = 8 << 20

/** After a connection beyond the first failed to open, no other is tried for this long. */
const GROW_BACKOFF_MS = 10_000

export class SftpFileSystem extends BaseFileSystem {
  readonly protocol = 'sftp'
  get capabilities(): FileSystemCapabilities {
    return {
      atomicPublish: 'rename',
      rename: true,
      // sha256sum on the server when the account has a shell; else checksum() reads back.
      nativeChecksum: { kinds: this.remoteChecksum ? ['sha256'] : [], inStat: false },
      objectMetadata: false,
      rangedReads: true,
      parallelParts: undefined,
      toolAddress: this.sshAddress,
    }
  }
  /** Where scp reaches the same account and directory. */
  private readonly sshAddress: ToolAddress
  private readonly config: ConnectConfig
  private readonly root: string
  /** Open connections, and the ones being opened. */
  private readonly sessions: Session[] = []
  private readonly connecting = new Set<Promise<Session>>()
  private readonly maxConnections: number
  private growFailedAt = -Infinity
  private remoteChecksum: boolean
  /** Directories known to exist (made or seen by this object): a write below them makes none. */
  private readonly knownDirs = new Set<string>()
  /**
   * The server's hash (with size and mtime) of each temp file now in its beforePublish hook, by
   * absolute path: the hook's stat and sha256 of it are answered from there.
   */
  private readonly staged = new Map<string, Promise<RemoteDigest | undefined>>()

  constructor(options: SftpOptions) {
    super()
    this.root = `/${normalizePath(options.root ?? '/')}`
    this.remoteChecksum = options.remoteChecksum ?? true
    this.maxConnections = Math.max(1, Math.floor(options.connections ?? 4))
    const key = options.privateKey ?? (options.privateKeyPath ? readFileSync(options.privateKeyPath) : undefined)
    const expected = options.hostFingerprint?.replace(/^SHA256:/, '').replace(/=+$/, '')
    this.sshAddress = {
      kind: 'ssh',
      host: options.host,
      port: options.port ?? 22,
      ...(options.username !== undefined ? { username: options.username } : {}),
      ...(options.privateKeyPath !== undefined ? { privateKeyPath: options.privateKeyPath } : {}),
      root: this.root,
    }
    this.config = {
      host: options.host,
      port: options.port ?? 22,
      username: options.username ?? process.env.USER ?? 'root',
      password: options.password,
      privateKey: key,
      passphrase: options.passphrase,
      readyTimeout: options.readyTimeoutMs ?? 20_000,
      keepaliveInterval: 5_000,
      keepaliveCountMax: 3,
      hostHash: expected ? 'sha256' : undefined,
      hostVerifier: expected
        ? (hash: string | Buffer): boolean => Buffer.from(String(hash), 'hex').toString('base64').replace(/=+$/, '') === expected
        : undefined,
    } as ConnectConfig
  }

  private abs(p: string): string {
    const n = normalizePath(p)
    return this.root === '/' ? `/${n}` : n === '' ? this.root : `${this.root}/${n}`
  }

  private connect(): Promise<Session> {
    const s = new Promise<Session>((resolve, reject) => {
      const client = new (ssh2().Client)()
      let session: Session | undefined
      const drop = (): void => {
        if (!session || session.closed) return
        session.closed = true
        session.hasher.close()
        const i = this.sessions.indexOf(session)
        if (i >= 0) this.sessions.splice(i, 1)
      }
      client.once('ready', () => {
        // Small requests (stat, open, rename) must not wait out Nagle + delayed ACK (~40 ms each).
        client.setNoDelay(true)
        client.sftp((err, sftp) => {
          if (err) {
            client.end()
            return reject(err)
          }
          // ssh2 writes each packet to the socket on its own; corked, a chunk's packets go in one writev.
          const socket = (client as unknown as { _sock?: { cork?: () => void; uncork?: () => void } })._sock
          const corkable = typeof socket?.cork === 'function' && typeof socket.uncork === 'function' ? (socket as { cork(): void; uncork(): void }) : undefined
          if (corkable && typeof (socket as { prependListener?: unknown }).prependListener === 'function') corkWhileAnswering(socket as unknown as EventEmitter, corkable)
          session = { client, sftp, closed: false, busy: 0, hasher: new RemoteHasher(client), socket: corkable }
          this.sessions.push(session)
          sftp.once('close', drop)
          resolve(session)
        })
      })
      client.on('error', (err) => {
        drop()
        reject(err)
      })
      client.once('close', drop)
      client.once('end', drop)
      client.connect(this.config)
    })
    this.connecting.add(s)
    const settled = (): void => void this.connecting.delete(s)
    s.then(settled, settled)
    return s
  }

  /**
   * The least busy open connection (an ETRANSIENT-mapped failure when none can be opened). When
   * every open one is busy, another is opened for the requests that come next, up to
   * maxConnections; this request does not wait for it.
   */
  private async live(): Promise<Session> {
    let best: Session | undefined
    for (const s of this.sessions) if (!s.closed && (best === undefined || s.busy < best.busy)) best = s
    const opening = this.connecting.size
    if (best === undefined) {
      const pending = this.connecting.values().next().value as Promise<Session> | undefined
      const session = await (pending ?? this.connect())
      if (session.closed) throw connectionLost()
      return session
    }
    if (best.busy > 0 && opening === 0 && this.sessions.length < this.maxConnections && Date.now() - this.growFailedAt > GROW_BACKOFF_MS) {
      this.connect().catch(() => (this.growFailedAt = Date.now()))
    }
    return best
  }

  private map(err: unknown, p: string): StorageError {
    if (isStorageError(err)) return err
    const e = err as { code?: number | string; level?: string }
    if (typeof e?.code === 'number' && STATUS[e.code]) return this.error(STATUS[e.code] as StorageErrorCode, p, err)
    if (e?.level === 'client-authentication') return this.error('EACCES', p, err, 'authentication failed')
    return this.error(isTransient(err) ? 'ETRANSIENT' : 'EIO', p, err)
  }

  /** Runs one SFTP request (on `on`, else the least busy connection), mapping its failure. */
  private async op<T>(p: string, fn: (sftp: SFTPWrapper, cb: (err: Error | null | undefined, v?: T) => void) => void, on?: Session): Promise<T> {
    let session: Session
    try {
      session = on ?? (await this.live())
    } catch (err) {
      throw this.map(err, p)
    }
    if (session.closed) throw this.map(connectionLost(), p)
    session.busy++
    try {
      return await new Promise<T>((resolve, reject) => {
        try {
          fn(session.sftp, (err, v) => (err ? reject(this.map(err, p)) : resolve(v as T)))
        } catch (err) {
          reject(this.map(err, p))
        }
      })
    } finally {
      session.busy--
    }
  }

  private toInfo(p: string, s: Stats): FileInfo {
    const dir = s.isDirectory()
    return this.info(p, dir ? 'directory' : 'file', dir ? 0 : s.size, new Date(s.mtime * 1000))
  }

  async stat(path: string): Promise<FileInfo> {
    const staged = (await this.staged.get(this.abs(path)))?.stat
    if (staged) return this.info(path, 'file', staged.bytes, staged.mtime)
    const s = await this.op<Stats>(path, (sftp, cb) => sftp.stat(this.abs(path), cb))
    return this.toInfo(path, s)
  }

  async ls(path: string, options?: LsOptions): Promise<FileInfo[]> {
    const info = await this.stat(path)
    if (info.kind !== 'directory') throw this.error('ENOTDIR', path)
    const out: FileInfo[] = []
    const walk = async (dir: string): Promise<void> => {
      const entries = await this.op<{ filename: string; attrs: Stats }[]>(dir, (sftp, cb) => sftp.readdir(this.abs(dir), cb))
      for (const e of entries.sort((a, b) => (a.filename < b.filename ? -1 : 1))) {
        if (e.filename === '.' || e.filename === '..' || isTempName(e.filename)) continue
        const child = joinPath(dir, e.filename)
        out.push(this.toInfo(child, e.attrs))
        if (e.attrs.isDirectory() && options?.recursive) await walk(child)
      }
    }
    await walk(normalizePath(path))
    return out
  }


  async mkdir(path: string, options?: MkdirOptions): Promise<void> {
    const target = await this.mkdirTarget(path, options)
    if (!target) return
    const p = target.path
    const parent = target.missingParent
    if (parent !== undefined) {
      await this.mkdir(parent, { parents: true }).catch((err: unknown) => {
        throw isStorageError(err, 'EEXIST') ? this.error('ENOTDIR', parent, err) : err
      })
    }
    try {
      await this.op<void>(p, (sftp, cb) => sftp.mkdir(this.abs(p), cb))
    } catch (err) {
      // A concurrent creator won the race: fine for `parents`.
      if (!(options?.parents && (await this.kind(p)) === 'directory')) throw err
    }
    this.knownDirs.add(p)
  }

  /** Makes the parent directory of a file about to be written, unless it is known to exist. */
  private async makeParent(path: string): Promise<void> {
    const parent = dirnamePath(normalizePath(path))
    if (parent === '' || this.knownDirs.has(parent)) return
    await this.mkdir(parent, { parents: true }).catch((err: unknown) => {
      throw isStorageError(err, 'EEXIST') ? this.error('ENOTDIR', parent, err) : err
    })
    this.knownDirs.add(parent)
  }

  async rm(path: string, options?: RmOptions): Promise<void> {
    const info = await this.stat(path)
    if (info.kind === 'file') {
      await this.op<void>(path, (sftp, cb) => sftp.unlink(this.abs(path), cb))
      return
    }
    this.knownDirs.clear()
    const children = await this.ls(path)
    if (children.length > 0 && !options?.recursive) throw this.error('ENOTEMPTY', path)
    for (const c of children) await this.rm(c.path, { recursive: true })
    await this.op<void>(path, (sftp, cb) => sftp.rmdir(this.abs(path), cb))
  }

  private rename(from: string, to: string): Promise<void> {
    return this.op<void>(from, (sftp, cb) => sftp.ext_openssh_rename(this.abs(from), this.abs(to), cb))
  }

  override async mv(from: string, to: string): Promise<void> {
    const src = await this.stat(from)
    const dst = await this.kind(to)
    if (dst === 'directory') throw this.error('EISDIR', to)
    if (dst === 'file' && src.kind === 'directory') throw this.error('ENOTDIR', to)
    if (src.kind === 'directory') this.knownDirs.clear()
    const parent = dirnamePath(normalizePath(to))
    if (parent !== '') await this.mkdir(parent, { parents: true })
    await this.rename(from, to)
  }

  createReadStream(path: string, options?: ReadStreamOptions): Readable {
    return lazyReadable(
      async () => {
        const info = await this.readableFile(path, options)
        const start = options?.start ?? 0
        const stop = Math.min(options?.end !== undefined ? options.end + 1 : info.size, info.size)
        if (start >= stop) return (async function* () {})()
        const session = await this.live()
        const handle = await this.op<Buffer>(path, (s, cb) => s.open(this.abs(path), 'r', cb), session)
        return this.readAhead(session, handle, start, stop)
      },
      (err) => this.map(err, path),
    )
  }

  /**
   * Reads [start, stop) with a window of requests in flight (one request at a time is bound by
   * round trips); memory stays at depth x block.
   */
  private async *readAhead(session: Session, handle: Buffer, start: number, stop: number): AsyncGenerator<Buffer> {
    const { sftp } = session
    const block = 128 << 10
    const depth = 16
    const readAt = (pos: number, len: number): Promise<Buffer> =>
      new Promise<Buffer>((resolve, reject) => {
        const out = Buffer.allocUnsafe(len)
        let got = 0
        const more = (): void => {
          if (session.closed) return reject(connectionLost())
          sftp.read(handle, out, got, len - got, pos + got, (err, n) => {
            if (err) return reject(err)
            got += n
            if (n === 0 || got >= len) resolve(out.subarray(0, got))
            else more()
          })
        }
        more()
      })
    const queue: Promise<Buffer>[] = []
    let next = start
    session.busy++
    const fill = (): void => {
      while (queue.length < depth && next < stop) {
        const len = Math.min(block, stop - next)
        const p = readAt(next, len)
        p.catch(() => undefined) // a reader that stops early must not leave unhandled rejections
        queue.push(p)
        next += len
      }
    }
    try {
      fill()
      while (queue.length > 0) {
        const buf = await (queue.shift() as Promise<Buffer>)
        fill()
        if (buf.length > 0) yield buf
      }
    } finally {
      session.busy--
      sftp.close(handle, () => undefined)
    }
  }

  createWriteStream(path: string, options?: WriteOptions): Writable {
    return sinkWritable(
      () => this.openSink(path, options),
      (err) => this.map(err, path),
    )
  }

  /**
   * A file of this machine: read into memory (up to LOCAL_BUFFER_MAX) and hashed on the libuv
   * pool while the temp file is opened, then sent as whole write requests; a larger file is
   * hashed on the pool while it is read and sent. No JS stream and no hashing on the JS thread;
   * the hook gets what was read (`staged.read`) and compares it with the server's hash of the
   * temp file, which a file that changed in between fails.
   */
  async writeLocalFile(localPath: string, path: string, options: LocalWriteOptions): Promise<LocalFileDigest> {
    let read: LocalFileDigest | undefined
    const opening = this.openSink(path, options, () => read as LocalFileDigest)
    opening.catch(() => undefined)
    let source: Awaited<ReturnType<typeof localSource>>
    try {
      source = await localSource(localPath, [...new Set(options.checksums)])
    } catch (err) {
      await opening.then((s) => s.abort(), () => undefined)
      throw err
    }
    const sink = await opening
    try {
      if ('data' in source) {
        if (source.data.length > 0) await sink.write(source.data)
      } else await source.send((chunk) => sink.write(chunk))
      read = await source.digest
      await sink.close()
    } catch (err) {
      await sink.abort()
      throw err
    }
    return read
  }

  /**
   * The sink of one write: a hidden temp file opened 'wx', written with requests in flight,
   * closed, verified (beforePublish) and renamed into place. The server's hash of the temp file
   * (with its size and mtime) is asked for right after the last write is acknowledged, alongside
   * the close, or followed while a large file is written: the hook's stat and sha256 of the temp
   * name are then answered from it (no stat request, no round trip of their own).
   */
  private async openSink(path: string, options: WriteOptions | undefined, read?: () => LocalFileDigest): Promise<Sink> {
    await this.checkWritable(path, options)
    await this.makeParent(path)
    const tmp = tempSibling(path)
    let session: Session
    try {
      session = await this.live()
    } catch (err) {
      throw this.map(err, tmp)
    }
    const openTmp = (): Promise<Buffer> => this.op<Buffer>(tmp, (s, cb) => s.open(this.abs(tmp), 'wx', cb), session)
    const handle = await openTmp().catch(async (err: unknown) => {
      // The directory was known to exist, and someone else removed it since.
      if (!isStorageError(err, 'ENOENT') || dirnamePath(normalizePath(path)) === '') throw err
      this.knownDirs.clear()
      await this.makeParent(path)
      return openTmp()
    })
    // The stream keeps its connection busy: the next file goes to another one.
    session.busy++
    let released = false
    const release = (): void => {
      if (!released) session.busy--
      released = true
    }
    // A handle is closed once: the server may give its number to the next file opened.
    let closing: Promise<void> | undefined
    const closeHandle = (): Promise<void> => (closing ??= this.op<void>(tmp, (s, cb) => s.close(handle, cb), session))
    const pipe = new WritePipeline(session, handle)
    // Only a write that is checked before its publish needs the server's hash.
    const hashed = options?.beforePublish !== undefined && this.remoteChecksum
    let follower: Promise<FollowedHash | undefined> | undefined
    const follow = (): void => {
      if (!hashed || follower || pipe.bytes < FOLLOW_FROM) return
      follower = session.hasher.follow(this.abs(tmp), 'sha256')
      void follower.then((f) => {
        if (!f) return
        f.advance(pipe.acked)
        pipe.onAcked = (offset) => f.advance(offset)
      })
    }
    const endFollow = async (): Promise<void> => {
      pipe.onAcked = undefined
      await (await follower)?.finish().catch(() => undefined)
    }
    return {
      write: async (chunk) => {
        try {
          await pipe.write(chunk)
        } catch (err) {
          throw this.map(err, path)
        }
        follow()
      },
      close: async () => {
        // The close goes out behind the last writes (no round trip of its own); a server that
        // took it first would fail those writes, and their failure fails the copy.
        const closed = closeHandle()
        closed.catch(() => undefined)
        try {
          await pipe.drain()
        } catch (err) {
          throw this.map(err, path)
        }
        const key = this.abs(tmp)
        if (hashed) {
          const f = follower ? await follower : undefined
          const answer = f ? f.finish() : session.hasher.hash(key, 'sha256')
          this.staged.set(key, answer.catch(() => undefined))
        }
        try {
          await closed
          release()
          await runBeforePublish(options?.beforePublish, { path: tmp, ...(read ? { read: read() } : {}) })
        } finally {
          this.staged.delete(key)
        }
        if (options?.overwrite === false) {
          await this.op<void>(path, (s, cb) => s.ext_openssh_hardlink(this.abs(tmp), this.abs(path), cb)).catch((err: unknown) => {
            throw isStorageError(err) && err.code === 'EIO' ? this.error('EEXIST', path, err) : err
          })
          await this.op<void>(tmp, (s, cb) => s.unlink(this.abs(tmp), cb))
        } else await this.rename(tmp, path)
      },
      abort: async () => {
        await pipe.drain().catch(() => undefined)
        await endFollow()
        await closeHandle().catch(() => undefined)
        release()
        await this.op<void>(tmp, (s, cb) => s.unlink(this.abs(tmp), cb)).catch(() => undefined)
      },
    }
  }

  /**
   * sha256/md5 computed on the server (`sha256sum`/`md5sum` over an exec channel) when the account
   * has a shell, so verifying a copy does not download it again; otherwise (no shell, no such
   * tool, `remoteChecksum: false`) the content is read back and hashed here.
   */
  override async checksum(path: string, algorithm: ChecksumAlgorithm = 'sha256'): Promise<Checksum> {
    if (algorithm === 'sha256') {
      const staged = await this.staged.get(this.abs(path))
      if (staged) return { algorithm, value: staged.value }
    }
    if ((algorithm === 'sha256' || algorithm === 'md5') && this.remoteChecksum) {
      const value = (await this.remoteHash(path, algorithm))?.value
      if (value !== undefined) return { algorithm, value }
    }
    return super.checksum(path, algorithm)
  }

  /**
   * The hex digest from the server, or undefined when it cannot tell (a directory, a missing
   * file, no shell or tool: the caller reads back, which reports what is wrong).
   */
  private async remoteHash(path: string, algorithm: 'sha256' | 'md5'): Promise<RemoteDigest | undefined> {
    let session: Session
    try {
      session = await this.live()
    } catch (err) {
      throw this.map(err, path)
    }
    session.busy++
    try {
      const value = await session.hasher.hash(this.abs(path), algorithm)
      // No shell, or no sha256 tool: stop trying (the capability no longer states sha256).
      if (session.hasher.unavailable || (algorithm === 'sha256' && session.hasher.kinds?.has('sha256') === false)) this.remoteChecksum = false
      return value
    } finally {
      session.busy--
    }
  }

  override async close(): Promise<void> {
    const pending = [...this.connecting]
    const open = this.sessions.splice(0)
    for (const s of open) s.client.end()
    await Promise.all(pending.map((p) => p.then((x) => x.client.end(), () => undefined)))
    this.knownDirs.clear()
  }
}
