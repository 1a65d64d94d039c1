/**
 * SFTP over one ssh2 connection (opened lazily, reopened after a drop). Key or password auth.
 * Writes go to a hidden temp file that `posix-rename@openssh.com` atomically moves into place.
 */
import { readFileSync } from 'node:fs'
import type { Readable, Writable } from 'node:stream'
import type { Client, ConnectConfig, SFTPWrapper, Stats } from 'ssh2'
import { BaseFileSystem } from './base.js'
import { StorageError, isStorageError, type StorageErrorCode } from './errors.js'
import { dirnamePath, isTempName, joinPath, normalizePath, tempSibling } from './path.js'
import { lazyReadable, runBeforePublish, sinkWritable } from './streams.js'
import { ssh2 } from './sdk.js'
import { isTransient } from './transient.js'
import type { Checksum, ChecksumAlgorithm, FileInfo, FileSystemCapabilities, ToolAddress, LsOptions, MkdirOptions, ReadStreamOptions, RmOptions, WriteOptions } from './types.js'

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
}

const connectionLost = (): Error => Object.assign(new Error('SFTP connection lost'), { code: 'ECONNRESET' })

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
  private session: Promise<Session> | undefined
  private remoteChecksum: boolean

  constructor(options: SftpOptions) {
    super()
    this.root = `/${normalizePath(options.root ?? '/')}`
    this.remoteChecksum = options.remoteChecksum ?? true
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
    if (this.session) return this.session
    const s = new Promise<Session>((resolve, reject) => {
      const client = new (ssh2().Client)()
      let session: Session | undefined
      const drop = (): void => {
        if (session) session.closed = true
        if (this.session === s) this.session = undefined
      }
      client.once('ready', () => {
        // Small requests (stat, open, rename) must not wait out Nagle + delayed ACK (~40 ms each).
        client.setNoDelay(true)
        client.sftp((err, sftp) => {
          if (err) {
            client.end()
            return reject(err)
          }
          session = { client, sftp, closed: false }
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
    this.session = s
    s.catch(() => undefined)
    return s
  }

  /** A live session, or an ETRANSIENT-mapped failure. */
  private async live(): Promise<Session> {
    const session = await this.connect()
    if (session.closed) throw connectionLost()
    return session
  }

  private map(err: unknown, p: string): StorageError {
    if (isStorageError(err)) return err
    const e = err as { code?: number | string; level?: string }
    if (typeof e?.code === 'number' && STATUS[e.code]) return this.error(STATUS[e.code] as StorageErrorCode, p, err)
    if (e?.level === 'client-authentication') return this.error('EACCES', p, err, 'authentication failed')
    return this.error(isTransient(err) ? 'ETRANSIENT' : 'EIO', p, err)
  }

  /** Runs one SFTP request, mapping its failure. */
  private async op<T>(p: string, fn: (sftp: SFTPWrapper, cb: (err: Error | null | undefined, v?: T) => void) => void): Promise<T> {
    let session: Session
    try {
      session = await this.live()
    } catch (err) {
      throw this.map(err, p)
    }
    return new Promise<T>((resolve, reject) => {
      try {
        fn(session.sftp, (err, v) => (err ? reject(this.map(err, p)) : resolve(v as T)))
      } catch (err) {
        reject(this.map(err, p))
      }
    })
  }

  private toInfo(p: string, s: Stats): FileInfo {
    const dir = s.isDirectory()
    return this.info(p, dir ? 'directory' : 'file', dir ? 0 : s.size, new Date(s.mtime * 1000))
  }

  async stat(path: string): Promise<FileInfo> {
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
    const p = normalizePath(path)
    const k = await this.kind(p)
    if (k === 'file' || (k === 'directory' && !options?.parents)) throw this.error('EEXIST', path)
    if (k === 'directory') return
    const parent = dirnamePath(p)
    const pk = parent === '' ? 'directory' : await this.kind(parent)
    if (pk === 'file') throw this.error('ENOTDIR', parent)
    if (pk === undefined) {
      if (!options?.parents) throw this.error('ENOENT', parent)
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
  }

  async rm(path: string, options?: RmOptions): Promise<void> {
    const info = await this.stat(path)
    if (info.kind === 'file') {
      await this.op<void>(path, (sftp, cb) => sftp.unlink(this.abs(path), cb))
      return
    }
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
    const parent = dirnamePath(normalizePath(to))
    if (parent !== '') await this.mkdir(parent, { parents: true })
    await this.rename(from, to)
  }

  createReadStream(path: string, options?: ReadStreamOptions): Readable {
    return lazyReadable(
      async () => {
        this.checkRange(path, options)
        const info = await this.stat(path)
        if (info.kind === 'directory') throw this.error('EISDIR', path)
        const start = options?.start ?? 0
        const stop = Math.min(options?.end !== undefined ? options.end + 1 : info.size, info.size)
        if (start >= stop) return (async function* () {})()
        const session = await this.live()
        const handle = await this.op<Buffer>(path, (s, cb) => s.open(this.abs(path), 'r', cb))
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
      sftp.close(handle, () => undefined)
    }
  }

  createWriteStream(path: string, options?: WriteOptions): Writable {
    return sinkWritable(
      async () => {
        await this.checkWritable(path, options)
        const parent = dirnamePath(normalizePath(path))
        if (parent !== '') {
          await this.mkdir(parent, { parents: true }).catch((err: unknown) => {
            throw isStorageError(err, 'EEXIST') ? this.error('ENOTDIR', parent, err) : err
          })
        }
        const tmp = tempSibling(path)
        const session = await this.live()
        const handle = await this.op<Buffer>(tmp, (s, cb) => s.open(this.abs(tmp), 'wx', cb))
        const closeHandle = (): Promise<void> => this.op<void>(tmp, (s, cb) => s.close(handle, cb))
        const pipe = new WritePipeline(session, handle)
        return {
          write: async (chunk) => {
            try {
              await pipe.write(chunk)
            } catch (err) {
              throw this.map(err, path)
            }
          },
          close: async () => {
            try {
              await pipe.drain()
            } catch (err) {
              throw this.map(err, path)
            }
            await closeHandle()
            await runBeforePublish(options?.beforePublish, { path: tmp })
            if (options?.overwrite === false) {
              await this.op<void>(path, (s, cb) => s.ext_openssh_hardlink(this.abs(tmp), this.abs(path), cb)).catch((err: unknown) => {
                throw isStorageError(err) && err.code === 'EIO' ? this.error('EEXIST', path, err) : err
              })
              await this.op<void>(tmp, (s, cb) => s.unlink(this.abs(tmp), cb))
            } else await this.rename(tmp, path)
          },
          abort: async () => {
            await pipe.drain().catch(() => undefined)
            await closeHandle().catch(() => undefined)
            await this.op<void>(tmp, (s, cb) => s.unlink(this.abs(tmp), cb)).catch(() => undefined)
          },
        }
      },
      (err) => this.map(err, path),
    )
  }

  /**
   * sha256/md5 computed on the server (`sha256sum`/`md5sum` over an exec channel) when the account
   * has a shell, so verifying a copy does not download it again; otherwise (no shell, no such
   * tool, `remoteChecksum: false`) the content is read back and hashed here.
   */
  override async checksum(path: string, algorithm: ChecksumAlgorithm = 'sha256'): Promise<Checksum> {
    if ((algorithm === 'sha256' || algorithm === 'md5') && this.remoteChecksum) {
      const value = await this.remoteHash(path, algorithm)
      if (value !== undefined) return { algorithm, value }
    }
    return super.checksum(path, algorithm)
  }

  /** The hex digest from the server, or undefined when it cannot tell (the caller falls back). */
  private async remoteHash(path: string, algorithm: 'sha256' | 'md5'): Promise<string | undefined> {
    const info = await this.stat(path)
    if (info.kind === 'directory') throw this.error('EISDIR', path)
    const { client } = await this.live()
    const quoted = `'${this.abs(path).replace(/'/g, `'\\''`)}'`
    const len = algorithm === 'sha256' ? 64 : 32
    const out = await new Promise<{ code: number | null; stdout: string } | undefined>((resolve) => {
      client.exec(`${algorithm}sum -b -- ${quoted}`, (err, channel) => {
        if (err) return resolve(undefined)
        let stdout = ''
        channel.on('data', (d: Buffer) => {
          if (stdout.length < 4096) stdout += d.toString()
        })
        channel.stderr.on('data', () => undefined)
        channel.on('close', (code: number | null) => resolve({ code, stdout }))
      })
    })
    if (out === undefined || out.code === 126 || out.code === 127) {
      this.remoteChecksum = false // no shell or no such tool: stop trying
      return undefined
    }
    const m = new RegExp(`^([0-9a-f]{${len}})\\s`).exec(out.stdout)
    return out.code === 0 && m ? m[1] : undefined
  }

  override async close(): Promise<void> {
    const s = this.session
    this.session = undefined
    if (s) await s.then((x) => x.client.end(), () => undefined)
  }
}

/**
 * Writes a file as a window of 32 KiB requests in flight across chunks (up to 64, 2 MiB): a
 * write resolves once its requests are sent, so the next chunk is on the wire while the server
 * acknowledges the previous one. drain() waits for every acknowledgement and reports the first
 * failure. Memory stays bounded by the window.
 */
class WritePipeline {
  private static readonly REQUEST = 32 << 10
  private static readonly WINDOW = 64
  private offset = 0
  private inflight = 0
  private failure: unknown
  private waiters: (() => void)[] = []

  constructor(
    private readonly session: Session,
    private readonly handle: Buffer,
  ) {}

  async write(chunk: Buffer): Promise<void> {
    for (let pos = 0; pos < chunk.length; pos += WritePipeline.REQUEST) {
      while (this.inflight >= WritePipeline.WINDOW && this.failure === undefined) await this.settle()
      this.check()
      const len = Math.min(WritePipeline.REQUEST, chunk.length - pos)
      const at = this.offset + pos
      this.inflight++
      this.session.sftp.write(this.handle, chunk, pos, len, at, (err) => {
        this.inflight--
        if (err && this.failure === undefined) this.failure = err
        this.wake()
      })
    }
    this.offset += chunk.length
  }

  /** Resolves when every request was acknowledged; rejects with the first failure. */
  async drain(): Promise<void> {
    while (this.inflight > 0 && !this.session.closed) await this.settle()
    this.check()
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure
    if (this.session.closed) throw connectionLost()
  }

  /** Waits for an acknowledgement, or 1 s (ssh2 never answers after the channel closed). */
  private settle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 1000)
      this.waiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  private wake(): void {
    const w = this.waiters
    this.waiters = []
    for (const r of w) r()
  }
}
