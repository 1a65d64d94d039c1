/**
 * The persisted queue: one small JSON file per queued file in `{stateDir}/queue/`, written to a
 * temporary name, fsynced and renamed (then the directory fsynced) before the upload starts, so
 * a crash at any point leaves either the old or the new entry. Uploaded files are appended to
 * `{stateDir}/done.jsonl` (fsynced) before their entry is removed; an entry found in the done
 * log on start is finished, not uploaded again. A `lock` file holds the owner's pid: one
 * uploader per state directory (a dead owner's lock is taken over).
 */
import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { configError } from '../errors.js'
import type { QueueEntry } from './queue-entry.js'

interface DoneRecord {
  path: string
  size: number
}

/** State directories held by uploaders of this process (the pid lock cannot tell them apart). */
const heldHere = new Set<string>()

export function entryId(path: string): string {
  return createHash('sha256').update(path).digest('hex').slice(0, 32)
}

async function fsyncPath(path: string, flags: number): Promise<void> {
  const h = await open(path, flags)
  try {
    await h.sync()
  } finally {
    await h.close()
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export class StateStore {
  readonly dir: string
  readonly #queueDir: string
  readonly #donePath: string
  readonly #lockPath: string
  /** Uploaded files: path -> size. */
  readonly #done = new Map<string, number>()
  #tmpCounter = 0

  constructor(dir: string) {
    this.dir = dir
    this.#queueDir = join(dir, 'queue')
    this.#donePath = join(dir, 'done.jsonl')
    this.#lockPath = join(dir, 'lock')
  }

  /** Creates the directory, takes the lock and loads the queue (pending and failed entries). */
  async open(): Promise<QueueEntry[]> {
    await mkdir(this.#queueDir, { recursive: true })
    await this.#lock()
    await this.#loadDone()
    const entries: QueueEntry[] = []
    for (const name of (await readdir(this.#queueDir)).sort()) {
      const p = join(this.#queueDir, name)
      if (name.endsWith('.tmp')) {
        await rm(p, { force: true })
        continue
      }
      if (!name.endsWith('.json')) continue
      let e: QueueEntry
      try {
        e = JSON.parse(await readFile(p, 'utf8')) as QueueEntry
      } catch {
        continue // a torn write cannot happen (rename), but never let one bad file stop the queue
      }
      if (this.isDone(e.path, e.size)) {
        await rm(p, { force: true })
        continue
      }
      entries.push(e)
    }
    return entries.sort((a, b) => a.queuedAt - b.queuedAt)
  }

  async #lock(): Promise<void> {
    if (heldHere.has(this.dir)) throw configError('range', `uploader option stateDir ${this.dir} is in use by another uploader of this process`)
    await this.#pidLock()
    heldHere.add(this.dir)
  }

  async #pidLock(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      try {
        await writeFile(this.#lockPath, String(process.pid), { flag: 'wx' })
        return
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      }
      const owner = Number((await readFile(this.#lockPath, 'utf8').catch(() => '')).trim())
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw configError('range', `uploader option stateDir ${this.dir} is in use by process ${owner}`)
      }
      await rm(this.#lockPath, { force: true })
    }
    throw configError('range', `uploader option stateDir ${this.dir}: cannot take the lock`)
  }

  /** Reads done.jsonl and rewrites it without files that no longer exist locally. */
  async #loadDone(): Promise<void> {
    const text = await readFile(this.#donePath, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return ''
      throw err
    })
    let stale = false
    for (const line of text.split('\n')) {
      if (!line) continue
      try {
        const r = JSON.parse(line) as DoneRecord
        this.#done.set(r.path, r.size)
      } catch {
        stale = true // a line torn by a crash
      }
    }
    for (const [path] of this.#done) {
      if (!(await stat(path).then(() => true, () => false))) {
        this.#done.delete(path)
        stale = true
      }
    }
    if (stale) {
      const tmp = `${this.#donePath}.tmp`
      await writeFile(tmp, [...this.#done].map(([path, size]) => `${JSON.stringify({ path, size })}\n`).join(''))
      await fsyncPath(tmp, constants.O_RDONLY)
      await rename(tmp, this.#donePath)
      await fsyncPath(this.dir, constants.O_RDONLY)
    }
  }

  isDone(path: string, size: number): boolean {
    return this.#done.get(path) === size
  }

  /** Writes (or replaces) an entry durably. */
  async save(entry: QueueEntry): Promise<void> {
    const final = join(this.#queueDir, `${entry.id}.json`)
    const tmp = `${final}.${++this.#tmpCounter}.tmp`
    const h = await open(tmp, 'w')
    try {
      await h.writeFile(JSON.stringify(entry))
      await h.sync()
    } finally {
      await h.close()
    }
    await rename(tmp, final)
    await fsyncPath(this.#queueDir, constants.O_RDONLY)
  }

  /** Records an upload as done (durably), then removes its entry. */
  async finish(entry: QueueEntry): Promise<void> {
    const h = await open(this.#donePath, 'a')
    try {
      await h.appendFile(`${JSON.stringify({ path: entry.path, size: entry.size })}\n`)
      await h.sync()
    } finally {
      await h.close()
    }
    this.#done.set(entry.path, entry.size)
    await rm(join(this.#queueDir, `${entry.id}.json`), { force: true })
    await fsyncPath(this.#queueDir, constants.O_RDONLY)
  }

  /** Releases the lock. */
  async close(): Promise<void> {
    if (!heldHere.delete(this.dir)) return
    const owner = (await readFile(this.#lockPath, 'utf8').catch(() => '')).trim()
    if (owner === String(process.pid)) await rm(this.#lockPath, { force: true })
  }
}
