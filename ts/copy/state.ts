/** The persisted memory of a copy job: (size, mtime) of each file at its last successful copy. */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

export interface FileStamp {
  size: number
  mtimeMs: number
}

interface StateFile {
  version: 1
  files: Record<string, FileStamp>
}

/** Loads and saves `{statePath}` atomically (temp file + rename). */
export class CopyState {
  readonly path: string
  #files = new Map<string, FileStamp>()
  #dirty = false

  constructor(path: string) {
    this.path = path
  }

  /** Reads the state file. A missing file is an empty state; a damaged one too (reported). */
  async load(): Promise<Error | undefined> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      return err as Error
    }
    try {
      const parsed = JSON.parse(text) as Partial<StateFile>
      if (parsed.version !== 1 || typeof parsed.files !== 'object' || parsed.files === null) throw new Error('unknown state format')
      for (const [k, v] of Object.entries(parsed.files)) {
        if (typeof v?.size === 'number' && typeof v.mtimeMs === 'number') this.#files.set(k, { size: v.size, mtimeMs: v.mtimeMs })
      }
      return undefined
    } catch (err) {
      return new Error(`copy state ${this.path} is damaged, starting afresh: ${(err as Error).message}`)
    }
  }

  /** True when `path` was copied before with exactly this size and mtime. */
  unchanged(path: string, stamp: FileStamp): boolean {
    const s = this.#files.get(path)
    return s !== undefined && s.size === stamp.size && s.mtimeMs === stamp.mtimeMs
  }

  record(path: string, stamp: FileStamp): void {
    this.#files.set(path, stamp)
    this.#dirty = true
  }

  /** Forgets files that no longer exist locally, so the state does not grow forever. */
  retain(existing: ReadonlySet<string>): void {
    for (const k of this.#files.keys()) {
      if (!existing.has(k)) {
        this.#files.delete(k)
        this.#dirty = true
      }
    }
  }

  /** Writes the state if it changed since the last save. */
  async save(): Promise<void> {
    if (!this.#dirty) return
    const body: StateFile = { version: 1, files: Object.fromEntries([...this.#files].sort(([a], [b]) => (a < b ? -1 : 1))) }
    await mkdir(dirname(this.path), { recursive: true })
    const tmp = `${this.path}.${process.pid}.${Date.now().toString(36)}.tmp`
    try {
      await writeFile(tmp, `${JSON.stringify(body, null, 1)}\n`)
      await rename(tmp, this.path)
      this.#dirty = false
    } catch (err) {
      await rm(tmp, { force: true })
      throw err
    }
  }
}
