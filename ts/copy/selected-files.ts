/** A read view of a filesystem in which listings show only the files a copy run selected. */
import type { Readable, Writable } from 'node:stream'
import type {
  Checksum,
  ChecksumAlgorithm,
  FileInfo,
  FileSystem,
  LsOptions,
  MkdirOptions,
  ReadStreamOptions,
  RmOptions,
  WriteOptions,
} from '../storage/index.js'

/**
 * Delegates everything to `inner`, except that `ls` and `glob` leave out files not in
 * `selected` (directories stay). transferFiles then plans exactly the selected files, with
 * target paths computed from the job's own patterns. Closing it does not close `inner`.
 */
export class SelectedFiles implements FileSystem {
  readonly protocol: string
  readonly #inner: FileSystem
  readonly #selected: ReadonlySet<string>

  constructor(inner: FileSystem, selected: ReadonlySet<string>) {
    this.#inner = inner
    this.#selected = selected
    this.protocol = inner.protocol
  }

  #keep = (e: FileInfo): boolean => e.kind !== 'file' || this.#selected.has(e.path)

  async ls(path: string, options?: LsOptions): Promise<FileInfo[]> {
    return (await this.#inner.ls(path, options)).filter(this.#keep)
  }
  async glob(pattern: string): Promise<string[]> {
    const all = await this.#inner.glob(pattern)
    const out: string[] = []
    for (const p of all) if (this.#selected.has(p) || (await this.#inner.stat(p)).kind !== 'file') out.push(p)
    return out
  }
  stat(path: string): Promise<FileInfo> {
    return this.#inner.stat(path)
  }
  exists(path: string): Promise<boolean> {
    return this.#inner.exists(path)
  }
  mkdir(path: string, options?: MkdirOptions): Promise<void> {
    return this.#inner.mkdir(path, options)
  }
  rm(path: string, options?: RmOptions): Promise<void> {
    return this.#inner.rm(path, options)
  }
  mv(from: string, to: string): Promise<void> {
    return this.#inner.mv(from, to)
  }
  cp(from: string, to: string): Promise<void> {
    return this.#inner.cp(from, to)
  }
  createReadStream(path: string, options?: ReadStreamOptions): Readable {
    return this.#inner.createReadStream(path, options)
  }
  createWriteStream(path: string, options?: WriteOptions): Writable {
    return this.#inner.createWriteStream(path, options)
  }
  put(localPath: string, remotePath: string, options?: WriteOptions): Promise<void> {
    return this.#inner.put(localPath, remotePath, options)
  }
  get(remotePath: string, localPath: string): Promise<void> {
    return this.#inner.get(remotePath, localPath)
  }
  readFile(path: string, options?: ReadStreamOptions): Promise<Buffer> {
    return this.#inner.readFile(path, options)
  }
  writeFile(path: string, data: string | Uint8Array, options?: WriteOptions): Promise<void> {
    return this.#inner.writeFile(path, data, options)
  }
  checksum(path: string, algorithm?: ChecksumAlgorithm): Promise<Checksum> {
    return this.#inner.checksum(path, algorithm)
  }
  async close(): Promise<void> {
    // The inner filesystem belongs to the copy job.
  }
}
