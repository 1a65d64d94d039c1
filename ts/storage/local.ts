/** The local disk, rooted at a directory. Writes go to a hidden temp file renamed into place. */
import { createReadStream as fsReadStream, createWriteStream as fsWriteStream, promises as fsp } from 'node:fs'
import * as nodePath from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { BaseFileSystem } from './base.js'
import { StorageError, type StorageErrorCode } from './errors.js'
import { dirnamePath, isTempName, normalizePath, tempSibling } from './path.js'
import { native } from '../native.js'
import type { DirEntryInfo, FileDigest } from '../binding.cjs'
import type { LocalBatchItem, LocalBatchOptions, LocalBatchResult } from './local-batch.js'
import { lazyReadable, runBeforePublish, sinkWritable } from './streams.js'
import type { Checksum, ChecksumAlgorithm, FileInfo, FileSystemCapabilities, LocalFileDigest, PositionedReader, LsOptions, MkdirOptions, ReadStreamOptions, RmOptions, SpaceInfo, WriteOptions } from './types.js'

export interface LocalOptions {
  /** Directory every path is relative to (default '/'). */
  root?: string
}

const CODE_MAP: Record<string, StorageErrorCode> = {
  ENOENT: 'ENOENT',
  EEXIST: 'EEXIST',
  EACCES: 'EACCES',
  EPERM: 'EACCES',
  EROFS: 'EACCES',
  ENOTDIR: 'ENOTDIR',
  EISDIR: 'EISDIR',
  ENOTEMPTY: 'ENOTEMPTY',
  EINVAL: 'EINVAL',
  EAGAIN: 'ETRANSIENT',
  EBUSY: 'ETRANSIENT',
  EMFILE: 'ETRANSIENT',
  ENFILE: 'ETRANSIENT',
  EIO: 'EIO',
}

/** What a native batch copy read from a source, as a LocalFileDigest. */
function readOf(d: FileDigest, sha256: string): LocalFileDigest & { sha256: string } {
  const read: LocalFileDigest & { sha256: string } = { bytes: d.bytes, sha256 }
  if (typeof d.md5 === 'string') read.md5 = d.md5
  if (typeof d.crc32c === 'string') read.crc32c = d.crc32c
  return read
}

export class LocalFileSystem extends BaseFileSystem {
  readonly protocol = 'file'
  readonly capabilities: FileSystemCapabilities
  readonly root: string

  constructor(options: LocalOptions = {}) {
    super()
    this.root = nodePath.resolve(options.root ?? '/')
    this.capabilities = {
      atomicPublish: 'rename',
      rename: true,
      // checksum() hashes the file here: no store-kept checksum.
      nativeChecksum: { kinds: [], inStat: false },
      objectMetadata: false,
      rangedReads: true,
      parallelParts: undefined,
      localRoot: this.root,
    }
  }

  /** Runs a native file operation; its `<ERRNO>: ...` failure becomes this backend's StorageError. */
  private async nativeIo<T>(p: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op()
    } catch (err) {
      const errno = /^(E[A-Z]+): /.exec((err as Error | null)?.message ?? '')?.[1]
      throw this.map(errno !== undefined ? Object.assign(err as Error, { code: errno }) : err, p)
    }
  }

  /** sha256 / md5 hashed on the libuv pool (the JS thread does not hash). */
  override async checksum(p: string, algorithm: ChecksumAlgorithm = 'sha256'): Promise<Checksum> {
    if (algorithm === 'native') return super.checksum(p, algorithm)
    const d = await this.nativeIo(p, () => native.hashFile(this.abs(p), [algorithm]))
    return { algorithm, value: (algorithm === 'sha256' ? d.sha256 : d.md5) ?? '' }
  }

  /** One native copy into the temp name (hashed as it is written), then beforePublish and the rename. */
  async writeLocalFile(localPath: string, p: string, options: WriteOptions & { checksums: readonly ('sha256' | 'md5' | 'crc32c')[] }): Promise<LocalFileDigest> {
    await this.checkWritable(p, options)
    const target = this.abs(p)
    await this.ensureParent(p, target)
    const tmpRel = tempSibling(p)
    const tmp = this.abs(tmpRel)
    const d = await this.nativeIo(p, () => native.copyFileHashed(localPath, tmp, [...options.checksums]))
    const out: LocalFileDigest = { bytes: d.bytes }
    if (typeof d.sha256 === 'string') out.sha256 = d.sha256
    if (typeof d.md5 === 'string') out.md5 = d.md5
    if (typeof d.crc32c === 'string') out.crc32c = d.crc32c
    try {
      // A refusal of the hook (a failed verification) is passed on as it is.
      await runBeforePublish(options.beforePublish, { path: tmpRel, read: out })
      await this.publish(tmp, target, options).catch((err: unknown) => {
        throw this.map(err, p)
      })
    } catch (err) {
      await fsp.unlink(tmp).catch(() => undefined)
      throw err
    }
    return out
  }

  /**
   * writeLocalFile for many files (local-batch.ts): one native pass copies them all to staged
   * files (unnamed where the filesystem allows: no name until the publish links one), then,
   * after beforePublish, one reads each back and publishes those that match; without a
   * beforePublish, one native pass does both for each file in turn. No stat of the target
   * first: the publish itself refuses a directory (EISDIR) or, without overwrite, an existing
   * file (EEXIST, by link).
   */
  async writeLocalFiles(items: readonly LocalBatchItem[], options: LocalBatchOptions): Promise<LocalBatchResult[]> {
    const out: LocalBatchResult[] = items.map(() => ({ published: false }))
    const staging: { i: number; rel: string; tmp: string; dst: string; mode: 'rename' | 'replace' | 'link' }[] = []
    // Normalized once: the temp name and both absolute paths are built from it, under the
    // resolved root as nodePath.join would build them (a concatenation costs less).
    const under = this.root === '/' ? '/' : `${this.root}/`
    items.forEach((item, i) => {
      const rel = normalizePath(item.path)
      if (rel === '') out[i] = { published: false, error: this.error('EISDIR', item.path) }
      // No path holds a NUL (the native batch joins paths with it).
      else if (rel.includes('\0') || item.localPath.includes('\0')) out[i] = { published: false, error: this.error('EINVAL', item.path) }
      else staging.push({ i, rel, tmp: under + tempSibling(rel), dst: under + rel, mode: !options.overwrite ? 'link' : item.targetExists === true ? 'replace' : 'rename' })
    })
    const fail = (i: number, err: string): void => {
      const p = (items[i] as LocalBatchItem).path
      out[i] = { published: false, error: this.nativeError(err, p) }
    }
    /** A publish's outcome (publishFiles or copyFilesVerified) on the file's result. */
    const settle = (i: number, r: { published: boolean; stored?: FileDigest; error?: string }): void => {
      if (typeof r.error === 'string') return fail(i, r.error)
      const result = out[i] as LocalBatchResult
      result.published = r.published
      if (r.stored?.sha256 != null) result.stored = { bytes: r.stored.bytes, sha256: r.stored.sha256 }
    }
    if (options.beforePublish === undefined) {
      // Nothing runs between the stage and the publish: one call, each file staged, read back
      // and published in turn (no staged files held open across the batch).
      const copied = await native.copyFilesVerified(
        staging.map((s) => (items[s.i] as LocalBatchItem).localPath).join('\0'),
        staging.map((s) => s.tmp).join('\0'),
        staging.map((s) => s.dst).join('\0'),
        staging.length,
        ['sha256', ...options.checksums],
        options.namedStaging !== true,
        staging.map((s) => s.mode).join('\0'),
        options.verify,
      )
      staging.forEach((s, k) => {
        const r = copied[k]
        if (r?.read?.sha256 == null) return fail(s.i, r?.error ?? 'EIO: the native copy returned nothing')
        out[s.i] = { published: false, read: readOf(r.read, r.read.sha256) }
        settle(s.i, r)
      })
      return out
    }
    const staged = await native.stageFilesHashed(
      staging.map((s) => ({ src: (items[s.i] as LocalBatchItem).localPath, tmp: s.tmp })),
      ['sha256', ...options.checksums],
      options.namedStaging !== true,
    )
    type Ready = (typeof staging)[number] & { read: LocalFileDigest & { sha256: string }; at: string; held: number | undefined }
    const ready: Ready[] = []
    // Every held (unnamed, open) staged file goes to the publish pass, which closes it, even
    // when this method fails on the way there.
    const held = staged.flatMap((r) => (typeof r.held === 'number' ? [r.held] : []))
    let handedOver = false
    try {
      staging.forEach((s, k) => {
        const r = staged[k]
        if (r?.read?.sha256 == null || typeof r.at !== 'string') return fail(s.i, r?.error ?? 'EIO: the native copy returned nothing')
        const read = readOf(r.read, r.read.sha256)
        out[s.i] = { published: false, read }
        ready.push({ ...s, read, at: r.at, held: typeof r.held === 'number' ? r.held : undefined })
      })
      if (ready.length === 0) return out
      let refused: unknown
      try {
        await options.beforePublish?.(ready.map((s) => ({ path: (items[s.i] as LocalBatchItem).path, localPath: s.at, read: s.read })))
      } catch (err) {
        refused = err
      }
      handedOver = true
      const published = await native.publishFiles(
        ready.map((s) => ({
          tmp: s.tmp,
          dst: s.dst,
          mode: refused !== undefined ? 'discard' : s.mode,
          ...(s.held !== undefined ? { held: s.held } : {}),
          ...(options.verify ? { expectBytes: s.read.bytes, expectSha256: s.read.sha256 } : {}),
        })),
      )
      ready.forEach((s, k) => {
        const r = published[k]
        const result = out[s.i] as LocalBatchResult
        if (refused !== undefined) result.error = refused
        else if (r === undefined) fail(s.i, 'EIO: the native publish returned nothing')
        else settle(s.i, r)
        if (result.error !== undefined) result.published = false
      })
      return out
    } finally {
      if (!handedOver && held.length > 0) await native.publishFiles(held.map((h) => ({ tmp: '', dst: '', mode: 'discard', held: h })))
    }
  }

  /** A native `<ERRNO>: ...` failure message as this backend's StorageError. */
  private nativeError(message: string, p: string): StorageError {
    const errno = /^(E[A-Z]+): /.exec(message)?.[1]
    const err = Object.assign(new Error(message), errno !== undefined ? { code: errno } : {})
    return this.map(err, p)
  }

  private async ensureParent(p: string, target: string): Promise<void> {
    await fsp.mkdir(nodePath.dirname(target), { recursive: true }).catch((err: unknown) => {
      const code = (err as { code?: string }).code
      throw this.error(code === 'EEXIST' || code === 'ENOTDIR' ? 'ENOTDIR' : CODE_MAP[code ?? ''] ?? 'EIO', dirnamePath(p), err)
    })
  }

  private async publish(tmp: string, target: string, options: WriteOptions | undefined): Promise<void> {
    if (options?.overwrite === false) {
      // link() fails if the target appeared meanwhile: no silent replace.
      await fsp.link(tmp, target)
      await fsp.unlink(tmp)
    } else await fsp.rename(tmp, target)
  }

  private abs(p: string): string {
    return nodePath.join(this.root, normalizePath(p))
  }

  private map(err: unknown, p: string): StorageError {
    const code = (err as { code?: string } | null)?.code
    if (err instanceof StorageError) return err
    return this.error(code !== undefined ? CODE_MAP[code] ?? 'EIO' : 'EIO', p, err)
  }

  /** statfs of the volume holding `p` (or its nearest existing ancestor): what a non-root user may still write. */
  async space(p: string): Promise<SpaceInfo> {
    for (let d = this.abs(p); ; d = nodePath.dirname(d)) {
      try {
        const s = await fsp.statfs(d)
        return { free: s.bavail * s.bsize, total: s.blocks * s.bsize }
      } catch (err) {
        if ((err as { code?: string }).code !== 'ENOENT' || nodePath.dirname(d) === d) throw this.map(err, p)
      }
    }
  }

  async stat(p: string): Promise<FileInfo> {
    try {
      const s = await fsp.stat(this.abs(p))
      return this.info(p, s.isDirectory() ? 'directory' : 'file', s.isDirectory() ? 0 : s.size, s.mtime)
    } catch (err) {
      throw this.map(err, p)
    }
  }

  async ls(p: string, options?: LsOptions): Promise<FileInfo[]> {
    const info = await this.stat(p)
    if (info.kind !== 'directory') throw this.error('ENOTDIR', p)
    const out: FileInfo[] = []
    const walk = async (rel: string): Promise<void> => {
      // One native pass reads and stats the directory (a stat per entry through fs.promises was
      // a pool round trip, a promise and a Stats object each); same order, same ENOENT skip,
      // first error in listing order.
      let entries: DirEntryInfo[]
      try {
        entries = await native.listDirectory(this.abs(rel))
      } catch (err) {
        throw this.nativeError((err as Error).message, rel)
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      for (const e of entries) {
        if (isTempName(e.name)) continue
        // `rel` is normalized and a directory entry's name is one part (never '.' or '..').
        const child = rel === '' ? e.name : `${rel}/${e.name}`
        if (typeof e.error === 'string') {
          if (e.error.startsWith('ENOENT: ')) continue
          throw this.nativeError(e.error, child)
        }
        // Rounded to the millisecond, as Node's Stats.mtime (the Date of fs.stat) is.
        out.push(this.info(child, e.directory ? 'directory' : 'file', e.size, new Date(Math.round(e.mtimeMs))))
        if (e.directory && options?.recursive) await walk(child)
      }
    }
    await walk(normalizePath(p))
    return out
  }

  async mkdir(p: string, options?: MkdirOptions): Promise<void> {
    try {
      if (options?.parents) {
        const existing = await fsp.stat(this.abs(p)).catch(() => undefined)
        if (existing && !existing.isDirectory()) throw this.error('EEXIST', p)
      }
      await fsp.mkdir(this.abs(p), { recursive: options?.parents ?? false })
    } catch (err) {
      throw this.map(err, p)
    }
  }

  async rm(p: string, options?: RmOptions): Promise<void> {
    try {
      const s = await fsp.stat(this.abs(p))
      if (s.isDirectory()) {
        if (options?.recursive) await fsp.rm(this.abs(p), { recursive: true })
        else await fsp.rmdir(this.abs(p))
      } else await fsp.unlink(this.abs(p))
    } catch (err) {
      throw this.map(err, p)
    }
  }

  override async mv(from: string, to: string): Promise<void> {
    try {
      await fsp.stat(this.abs(from))
      await fsp.mkdir(nodePath.dirname(this.abs(to)), { recursive: true })
      await fsp.rename(this.abs(from), this.abs(to))
    } catch (err) {
      throw this.map(err, from)
    }
  }

  override async cp(from: string, to: string): Promise<void> {
    try {
      await fsp.mkdir(nodePath.dirname(this.abs(to)), { recursive: true })
      await fsp.cp(this.abs(from), this.abs(to), { recursive: true, force: true })
    } catch (err) {
      throw this.map(err, from)
    }
  }

  createReadStream(p: string, options?: ReadStreamOptions): Readable {
    return lazyReadable(
      async () => {
        this.checkRange(p, options)
        const s = await fsp.stat(this.abs(p))
        if (s.isDirectory()) throw this.error('EISDIR', p)
        // 1 MiB reads, but no 1 MiB buffer for a small file.
        const highWaterMark = Math.min(1 << 20, Math.max(64 << 10, s.size))
        const stream = fsReadStream(this.abs(p), { start: options?.start, end: options?.end, highWaterMark })
        await new Promise<void>((resolve, reject) => {
          stream.once('open', () => resolve())
          stream.once('error', reject)
        })
        return stream
      },
      (err) => this.map(err, p),
    )
  }

  async openPositioned(p: string): Promise<PositionedReader> {
    let handle: fsp.FileHandle
    try {
      handle = await fsp.open(this.abs(p), 'r')
    } catch (err) {
      throw this.map(err, p)
    }
    return {
      read: async (buffer, offset, length, position) => (await handle.read(buffer, offset, length, position)).bytesRead,
      size: async () => (await handle.stat()).size,
      close: () => handle.close(),
    }
  }

  createWriteStream(p: string, options?: WriteOptions): Writable {
    const target = this.abs(p)
    return sinkWritable(
      async () => {
        await this.checkWritable(p, options)
        await this.ensureParent(p, target)
        const tmpRel = tempSibling(p)
        const tmp = this.abs(tmpRel)
        const out = fsWriteStream(tmp, { flags: 'wx', highWaterMark: 1 << 20 })
        await new Promise<void>((resolve, reject) => {
          out.once('open', () => resolve())
          out.once('error', reject)
        })
        let failed: unknown
        out.on('error', (e) => {
          failed = e
        })
        return {
          write: (chunk) =>
            new Promise<void>((resolve, reject) => {
              if (failed) return reject(failed)
              out.write(chunk, (e) => (e ? reject(e) : resolve()))
            }),
          close: async () => {
            await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())))
            if (failed) throw failed
            await runBeforePublish(options?.beforePublish, { path: tmpRel })
            await this.publish(tmp, target, options)
          },
          abort: async () => {
            out.destroy()
            await fsp.unlink(tmp).catch(() => undefined)
          },
        }
      },
      (err) => this.map(err, p),
    )
  }
}

