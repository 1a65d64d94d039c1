/**
 * An in-process filesystem, for tests and scratch space. Instances created with the same
 * `name` (e.g. `memory://shared`) see the same tree. A write becomes visible when it closes.
 */
import { Readable, type Writable } from 'node:stream'
import { BaseFileSystem } from './base.js'
import { ancestors, dirnamePath, isWithin, joinPath, normalizePath } from './path.js'
import { lazyReadable, sinkWritable } from './streams.js'
import type { FileInfo, FileSystemCapabilities, LsOptions, MkdirOptions, ReadStreamOptions, RmOptions, WriteOptions } from './types.js'

interface MemFile {
  data: Buffer
  mtime: Date
}

interface Tree {
  files: Map<string, MemFile>
  dirs: Map<string, Date>
}

const trees = new Map<string, Tree>()

export interface MemoryOptions {
  /** Instances with the same name share one tree (default: a fresh private tree). */
  name?: string
  /** Reject every change with EACCES. */
  readOnly?: boolean
}

export class MemoryFileSystem extends BaseFileSystem {
  readonly protocol = 'memory'
  readonly capabilities: FileSystemCapabilities = {
    // A write becomes visible when it closes, all at once.
    atomicPublish: 'atomic-write',
    rename: false,
    nativeChecksum: { kinds: [], inStat: false },
    objectMetadata: false,
    rangedReads: true,
    parallelParts: undefined,
  }
  private readonly tree: Tree
  private readonly readOnly: boolean

  constructor(options: MemoryOptions = {}) {
    super()
    const fresh = (): Tree => ({ files: new Map(), dirs: new Map() })
    if (options.name !== undefined) {
      const t = trees.get(options.name) ?? fresh()
      trees.set(options.name, t)
      this.tree = t
    } else this.tree = fresh()
    this.readOnly = options.readOnly ?? false
  }

  private guard(p: string): void {
    if (this.readOnly) throw this.error('EACCES', p, undefined, 'read-only filesystem')
  }

  private kindOf(p: string): 'file' | 'directory' | undefined {
    if (p === '' || this.tree.dirs.has(p)) return 'directory'
    if (this.tree.files.has(p)) return 'file'
    return undefined
  }

  async stat(path: string): Promise<FileInfo> {
    const p = normalizePath(path)
    const f = this.tree.files.get(p)
    if (f) return this.info(p, 'file', f.data.length, f.mtime)
    if (this.kindOf(p) === 'directory') return this.info(p, 'directory', 0, this.tree.dirs.get(p))
    for (const a of ancestors(p)) if (this.tree.files.has(a)) throw this.error('ENOTDIR', path)
    throw this.error('ENOENT', path)
  }

  async ls(path: string, options?: LsOptions): Promise<FileInfo[]> {
    const p = normalizePath(path)
    const info = await this.stat(p)
    if (info.kind !== 'directory') throw this.error('ENOTDIR', path)
    const out: FileInfo[] = []
    const direct = (q: string): boolean => dirnamePath(q) === p
    for (const [d, mtime] of this.tree.dirs) {
      if (d !== p && isWithin(p, d) && (options?.recursive || direct(d))) out.push(this.info(d, 'directory', 0, mtime))
    }
    for (const [f, m] of this.tree.files) {
      if (isWithin(p, f) && (options?.recursive || direct(f))) out.push(this.info(f, 'file', m.data.length, m.mtime))
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  }

  private makeDirs(p: string): void {
    for (const a of [...ancestors(p), p]) {
      if (a === '') continue
      if (this.tree.files.has(a)) throw this.error('ENOTDIR', a)
      if (!this.tree.dirs.has(a)) this.tree.dirs.set(a, new Date())
    }
  }

  async mkdir(path: string, options?: MkdirOptions): Promise<void> {
    const p = normalizePath(path)
    this.guard(path)
    const kind = this.kindOf(p)
    if (kind === 'file' || (kind === 'directory' && !options?.parents)) throw this.error('EEXIST', path)
    const parent = dirnamePath(p)
    if (!options?.parents) {
      const pk = this.kindOf(parent)
      if (pk === undefined) throw this.error('ENOENT', parent)
      if (pk === 'file') throw this.error('ENOTDIR', parent)
    }
    this.makeDirs(p)
  }

  async rm(path: string, options?: RmOptions): Promise<void> {
    const p = normalizePath(path)
    this.guard(path)
    const info = await this.stat(p)
    if (info.kind === 'file') {
      this.tree.files.delete(p)
      return
    }
    const children = await this.ls(p, { recursive: true })
    if (children.length > 0 && !options?.recursive) throw this.error('ENOTEMPTY', path)
    for (const c of children) {
      this.tree.files.delete(c.path)
      this.tree.dirs.delete(c.path)
    }
    if (p !== '') this.tree.dirs.delete(p)
  }

  override async cp(from: string, to: string): Promise<void> {
    this.guard(to)
    const f = normalizePath(from)
    const t = normalizePath(to)
    const info = await this.stat(f)
    if (info.kind === 'file') {
      await this.checkWritable(t)
      this.makeDirs(dirnamePath(t))
      this.tree.files.set(t, { data: (this.tree.files.get(f) as MemFile).data, mtime: new Date() })
      return
    }
    this.makeDirs(t)
    for (const c of await this.ls(f, { recursive: true })) {
      const dest = joinPath(t, c.path.slice(f.length))
      if (c.kind === 'directory') this.makeDirs(dest)
      else this.tree.files.set(dest, { data: (this.tree.files.get(c.path) as MemFile).data, mtime: new Date() })
    }
  }

  createReadStream(path: string, options?: ReadStreamOptions): Readable {
    return lazyReadable(
      async () => {
        await this.readableFile(path, options)
        const data = (this.tree.files.get(normalizePath(path)) as MemFile).data
        const start = options?.start ?? 0
        const end = Math.min(options?.end ?? data.length - 1, data.length - 1)
        const slice = data.subarray(start, end + 1)
        const parts: Buffer[] = []
        for (let i = 0; i < slice.length; i += 1 << 20) parts.push(slice.subarray(i, i + (1 << 20)))
        return Readable.from(parts)
      },
      (err) => this.wrap(err, path),
    )
  }

  createWriteStream(path: string, options?: WriteOptions): Writable {
    const p = normalizePath(path)
    return sinkWritable(
      async () => {
        this.guard(path)
        await this.checkWritable(p, options)
        const chunks: Buffer[] = []
        return {
          write: async (chunk) => {
            chunks.push(Buffer.from(chunk))
          },
          close: async () => {
            if (options?.overwrite === false && this.tree.files.has(p)) throw this.error('EEXIST', path)
            this.makeDirs(dirnamePath(p))
            this.tree.files.set(p, { data: Buffer.concat(chunks), mtime: new Date() })
          },
          abort: async () => {
            chunks.length = 0
          },
        }
      },
      (err) => this.wrap(err, path),
    )
  }
}
