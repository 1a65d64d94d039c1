/** Operations every backend gets from its primitives: files in and out, globbing, checksums. */
import { createHash } from 'node:crypto'
import { createReadStream as fsReadStream, createWriteStream as fsWriteStream } from 'node:fs'
import { Readable, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { StorageError, isStorageError, type StorageErrorCode } from './errors.js'
import { isGlob, matchGlob } from './glob.js'
import { isTransient } from './transient.js'
import { basenamePath, dirnamePath, isWithin, joinPath, normalizePath } from './path.js'
import type {
  Checksum,
  ChecksumAlgorithm,
  FileInfo,
  FileSystem,
  FileSystemCapabilities,
  LsOptions,
  MkdirOptions,
  ReadStreamOptions,
  RmOptions,
  WriteOptions,
} from './types.js'

export abstract class BaseFileSystem implements FileSystem {
  abstract readonly protocol: string
  abstract readonly capabilities: FileSystemCapabilities

  abstract ls(path: string, options?: LsOptions): Promise<FileInfo[]>
  abstract stat(path: string): Promise<FileInfo>
  abstract mkdir(path: string, options?: MkdirOptions): Promise<void>
  abstract rm(path: string, options?: RmOptions): Promise<void>
  abstract createReadStream(path: string, options?: ReadStreamOptions): Readable
  abstract createWriteStream(path: string, options?: WriteOptions): Writable

  /** Builds a StorageError for this backend. */
  protected error(code: StorageErrorCode, path: string, cause?: unknown, detail?: string): StorageError {
    return new StorageError(code, { backend: this.protocol, path, cause, detail })
  }

  /** Maps an unknown failure: StorageErrors pass, transient ones become ETRANSIENT, else EIO. */
  protected wrap(err: unknown, path: string): StorageError {
    if (isStorageError(err)) return err
    return this.error(isTransient(err) ? 'ETRANSIENT' : 'EIO', path, err)
  }

  /** The kind of what is at `path`, or undefined when nothing is there. */
  protected async kind(path: string): Promise<FileInfo['kind'] | undefined> {
    try {
      return (await this.stat(path)).kind
    } catch (err) {
      if (isStorageError(err, 'ENOENT')) return undefined
      throw err
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      await this.stat(path)
      return true
    } catch (err) {
      if (isStorageError(err, 'ENOENT') || isStorageError(err, 'ENOTDIR')) return false
      throw err
    }
  }

  /** Checks a write target: not a directory, not existing when overwrite is false. */
  protected async checkWritable(path: string, options?: WriteOptions): Promise<void> {
    if (normalizePath(path) === '') throw this.error('EISDIR', path)
    if (options?.knownAbsent) return
    let info: FileInfo | undefined
    try {
      info = await this.stat(path)
    } catch (err) {
      if (!isStorageError(err, 'ENOENT')) throw err
    }
    if (info?.kind === 'directory') throw this.error('EISDIR', path)
    if (info && options?.overwrite === false) throw this.error('EEXIST', path)
  }

  async cp(from: string, to: string): Promise<void> {
    const info = await this.stat(from)
    if (info.kind === 'file') {
      await pipeline(this.createReadStream(from), this.createWriteStream(to))
      return
    }
    await this.mkdir(to, { parents: true })
    for (const e of await this.ls(from, { recursive: true })) {
      const target = joinPath(to, e.path.slice(normalizePath(from).length))
      if (e.kind === 'directory') await this.mkdir(target, { parents: true })
      else await pipeline(this.createReadStream(e.path), this.createWriteStream(target))
    }
  }

  async mv(from: string, to: string): Promise<void> {
    if (isWithin(normalizePath(from), normalizePath(to)) && normalizePath(from) !== normalizePath(to)) {
      throw this.error('EINVAL', to, undefined, 'cannot move a directory into itself')
    }
    await this.cp(from, to)
    await this.rm(from, { recursive: true })
  }

  async readFile(path: string, options?: ReadStreamOptions): Promise<Buffer> {
    const chunks: Buffer[] = []
    for await (const c of this.createReadStream(path, options)) chunks.push(c as Buffer)
    return Buffer.concat(chunks)
  }

  async writeFile(path: string, data: string | Uint8Array, options?: WriteOptions): Promise<void> {
    const buf = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    await pipeline(Readable.from(buf.length ? [buf] : []), this.createWriteStream(path, options))
  }

  async put(localPath: string, remotePath: string, options?: WriteOptions): Promise<void> {
    await pipeline(fsReadStream(localPath, { highWaterMark: 1 << 20 }), this.createWriteStream(remotePath, options))
  }

  async get(remotePath: string, localPath: string): Promise<void> {
    await pipeline(this.createReadStream(remotePath), fsWriteStream(localPath))
  }

  async glob(pattern: string): Promise<string[]> {
    const norm = normalizePath(pattern)
    if (!isGlob(norm)) return (await this.exists(norm)) ? [norm] : []
    return (await matchGlob(this, norm)).map((e) => e.path).sort()
  }

  /** The backend's own checksum; backends without one fall back to MD5 of the content. */
  protected async nativeChecksum(path: string): Promise<Checksum> {
    return this.checksum(path, 'md5')
  }

  async checksum(path: string, algorithm: ChecksumAlgorithm = 'sha256'): Promise<Checksum> {
    if (algorithm === 'native') return this.nativeChecksum(path)
    const info = await this.stat(path)
    if (info.kind === 'directory') throw this.error('EISDIR', path)
    const h = createHash(algorithm)
    for await (const c of this.createReadStream(path)) h.update(c as Buffer)
    return { algorithm, value: h.digest('hex') }
  }

  async close(): Promise<void> {
    // nothing to release by default
  }

  /** FileInfo for a path with the name filled in. */
  protected info(path: string, kind: FileInfo['kind'], size: number, mtime?: Date, etag?: string): FileInfo {
    const p = normalizePath(path)
    const out: FileInfo = { path: p, name: basenamePath(p), kind, size }
    if (mtime) out.mtime = mtime
    if (etag) out.etag = etag
    return out
  }

  /**
   * mkdir's checks, the same on every backend: EEXIST for a file (or a directory without
   * `parents`), ENOTDIR under a file, ENOENT for a missing parent without `parents`. Resolves
   * with undefined when the directory is already there, else with its normalized path and,
   * when missing (so `parents` is set), its parent.
   */
  protected async mkdirTarget(path: string, options?: MkdirOptions): Promise<{ path: string; missingParent?: string } | undefined> {
    const p = normalizePath(path)
    const k = await this.kind(p)
    if (k === 'file' || (k === 'directory' && !options?.parents)) throw this.error('EEXIST', path)
    if (k === 'directory') return undefined
    const parent = dirnamePath(p)
    const pk = parent === '' ? 'directory' : await this.kind(parent)
    if (pk === 'file') throw this.error('ENOTDIR', parent)
    if (pk === undefined && !options?.parents) throw this.error('ENOENT', parent)
    return pk === undefined ? { path: p, missingParent: parent } : { path: p }
  }

  /** A read's checks before any byte is sent: a valid range, an existing file (not a directory); its FileInfo. */
  protected async readableFile(path: string, o?: ReadStreamOptions): Promise<FileInfo> {
    this.checkRange(path, o)
    const info = await this.stat(path)
    if (info.kind === 'directory') throw this.error('EISDIR', path)
    return info
  }

  /** Validates a read range. */
  protected checkRange(path: string, o?: ReadStreamOptions): void {
    const bad = (n: number | undefined): boolean => n !== undefined && (!Number.isInteger(n) || n < 0)
    if (bad(o?.start) || bad(o?.end) || (o?.start !== undefined && o.end !== undefined && o.end < o.start)) {
      throw this.error('EINVAL', path, undefined, 'invalid range')
    }
  }
}
