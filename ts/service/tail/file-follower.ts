/**
 * Follows one file by name, as `tail -F` does, and reports its complete lines as they are
 * appended. Woken at once by fs.watch on the file's directory (create, rename, modify of the
 * name), and by a poll every pollInterval: what a watcher cannot see (a network file system
 * written from another host, a directory that cannot be watched) is seen that late at worst.
 *
 * - Rotation (the name now names another inode): the old file is read to its end first (its
 *   last lines are not lost; a last line without `\n` is passed as a line), then the new file
 *   from its start. A file replaced by a copy holding the same bytes up to where the follower
 *   was (rsync's temp-and-rename, the way the service's mirror grows) is not a rotation: the
 *   follower goes on at the same offset in the copy (content-mark.ts tells the two apart).
 *   Files logferry's Logger sealed in between, unseen under the name, are read in order too
 *   (sealed-between.ts).
 * - Truncation (the file got shorter than what was read): reported, then read from offset 0.
 * - Only complete lines are passed; an unfinished one waits for its `\n`.
 *
 * Everything that reads or moves the position runs one at a time (`exclusive`), so a client
 * joining sees a position no read is moving.
 */
import { constants, watch, type FSWatcher } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { formatPosition, MARK_WINDOW, markAt, markOf } from './content-mark.js'
import type { FollowerEvent } from './follower-events.js'
import { LineSplitter } from './line-splitter.js'
import { sealedBetween } from './sealed-between.js'
import { SharedHandle } from './shared-handle.js'

export interface FollowerOptions {
  /** Poll period (ms), with fs.watch or without: a network file system's changes made on another host are seen by polling only. */
  pollInterval: number
  /** fs.watch the directory (default true); false: poll only. */
  watch?: boolean
  /** Longest line; a longer one is cut into lines of this size. */
  maxLineBytes?: number
}

/** Where the follower is, as a joining client sees it. */
export interface FollowerView {
  file: SharedHandle
  /** Offset after the last complete line passed (line-aligned). */
  committed: number
  /** Its content mark. */
  mark: string
}

const BLOCK = 256 * 1024
const EMPTY_MARK = markOf(Buffer.alloc(0))
/** The id of lines read before the current file: resuming from it starts at the current file's start. */
const START_ID = formatPosition({ offset: 0, mark: EMPTY_MARK })

function isMissing(err: unknown): boolean {
  const c = (err as NodeJS.ErrnoException).code
  return c === 'ENOENT' || c === 'ENOTDIR'
}

export class FileFollower {
  private file: SharedHandle
  private ino: number
  private dev: number
  private readPos: number
  private committed: number
  private mark: string
  private readonly splitter: LineSplitter
  private readonly block = Buffer.allocUnsafe(BLOCK)
  private watcher: FSWatcher | undefined
  private timer: NodeJS.Timeout | undefined
  private queue: Promise<unknown> = Promise.resolve()
  private checking = false
  private again = false
  private closed = false

  private constructor(
    readonly path: string,
    private readonly opts: FollowerOptions,
    private readonly emit: (e: FollowerEvent) => void,
    start: { file: SharedHandle; ino: number; dev: number; committed: number; mark: string },
  ) {
    this.file = start.file
    this.ino = start.ino
    this.dev = start.dev
    this.readPos = start.committed
    this.committed = start.committed
    this.mark = start.mark
    this.splitter = new LineSplitter(opts.maxLineBytes ?? 1024 * 1024)
  }

  /** Opens `path` (which must exist) and follows it from its end. */
  static async open(path: string, opts: FollowerOptions, emit: (e: FollowerEvent) => void): Promise<FileFollower> {
    const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
    try {
      const st = await handle.stat()
      const committed = await lastLineEnd(handle, st.size, opts.maxLineBytes ?? 1024 * 1024)
      const mark = (await markAt(handle, committed)) ?? EMPTY_MARK
      const f = new FileFollower(path, opts, emit, { file: new SharedHandle(handle), ino: st.ino, dev: st.dev, committed, mark })
      f.startWatching()
      f.kick()
      return f
    } catch (err) {
      await handle.close().catch(() => undefined)
      throw err
    }
  }

  /** Runs `fn` while no read moves the position; `fn` sees where the follower is. */
  exclusive<T>(fn: (view: FollowerView) => Promise<T> | T): Promise<T> {
    const run = this.queue.then(() => fn({ file: this.file, committed: this.committed, mark: this.mark }))
    this.queue = run.catch(() => undefined)
    return run
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.watcher?.close()
    if (this.timer !== undefined) clearInterval(this.timer)
    await this.queue
    this.file.release()
  }

  private startWatching(): void {
    this.timer = setInterval(() => this.kick(), this.opts.pollInterval)
    this.timer.unref()
    if (this.opts.watch === false) return
    const name = basename(this.path)
    try {
      this.watcher = watch(dirname(this.path), { persistent: false }, (_event, filename) => {
        if (filename === null || filename === name) this.kick()
      })
      // Watching stopped (directory removed, inotify limits): the poll carries on alone.
      this.watcher.on('error', () => {
        this.watcher?.close()
        this.watcher = undefined
      })
    } catch {
      // Cannot watch here (inotify limits, unsupported file system): the poll alone.
    }
  }

  /** Asks for a check; checks asked for while one runs make one more, not one each. */
  private kick(): void {
    if (this.closed) return
    if (this.checking) {
      this.again = true
      return
    }
    this.checking = true
    void this.exclusive(async () => {
      try {
        do {
          this.again = false
          await this.check()
        } while (this.again && !this.closed)
      } catch (err) {
        this.emit({ type: 'failed', code: (err as NodeJS.ErrnoException).code ?? 'ERR_TAIL', message: (err as Error).message })
        void this.close()
      } finally {
        // Set in the same turn as the loop's last test: a kick after it starts a new check.
        this.checking = false
      }
    })
  }

  private async check(): Promise<void> {
    if (this.closed) return
    let named: { ino: number; dev: number } | undefined
    try {
      named = await stat(this.path)
    } catch (err) {
      if (!isMissing(err)) throw err
    }
    if (named !== undefined && (named.ino !== this.ino || named.dev !== this.dev)) await this.switchFile()
    await this.readTo(await this.sizeNow())
  }

  /**
   * The file's size, after dealing with a shrink: below the last complete line it is a
   * truncation (copytruncate, `> file`): reported, and reading starts again at 0. Only the
   * unfinished line's bytes gone is not one: logferry's Logger grows a file by one byte and
   * shrinks it back when it seals it (format.md, Rotation); that line is read again.
   */
  private async sizeNow(): Promise<number> {
    const { size } = await this.file.handle.stat()
    if (size >= this.readPos) return size
    this.splitter.reset()
    if (size >= this.committed) {
      this.readPos = this.committed
      return size
    }
    this.readPos = 0
    this.committed = 0
    this.mark = EMPTY_MARK
    this.emit({ type: 'truncated', size })
    return size
  }

  /** The name names another file: replaced by a copy of the same content, or rotated. */
  private async switchFile(): Promise<void> {
    const old = this.file
    // The old file's last lines first.
    await this.readTo(await this.sizeNow())
    let handle
    try {
      handle = await open(this.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
    } catch (err) {
      // Gone again (or became a symbolic link, refused): stay on the old one, look again later.
      if (isMissing(err) || (err as NodeJS.ErrnoException).code === 'ELOOP') return
      throw err
    }
    const st = await handle.stat()
    if (!st.isFile()) {
      await handle.close()
      return
    }
    const replaced = this.committed > 0 && st.size >= this.committed && (await markAt(handle, this.committed)) === this.mark
    const before = { ino: this.ino, dev: this.dev }
    this.file = new SharedHandle(handle)
    this.ino = st.ino
    this.dev = st.dev
    old.release()
    if (replaced) {
      // The unfinished line is read again from the copy.
      this.splitter.reset()
      this.readPos = this.committed
      return
    }
    const last = this.splitter.flush()
    this.readPos = 0
    this.committed = 0
    this.mark = EMPTY_MARK
    if (last !== undefined) this.emit({ type: 'lines', lines: [last], bytes: Buffer.byteLength(last), id: START_ID })
    this.emit({ type: 'rotated' })
    for (const p of await sealedBetween(this.path, before, st)) await this.readSealed(p)
  }

  /** A whole file sealed between two the follower saw; its lines' ids resume at the next file's start. */
  private async readSealed(path: string): Promise<void> {
    let h
    try {
      h = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW)
    } catch {
      return
    }
    try {
      for (let pos = 0; !this.closed; ) {
        const { bytesRead } = await h.read(this.block, 0, BLOCK, pos)
        if (bytesRead === 0) break
        pos += bytesRead
        const { lines, bytes } = this.splitter.push(this.block.subarray(0, bytesRead))
        if (lines.length > 0) this.emit({ type: 'lines', lines, bytes, id: START_ID })
      }
    } finally {
      await h.close()
    }
    const last = this.splitter.flush()
    if (last !== undefined) this.emit({ type: 'lines', lines: [last], bytes: Buffer.byteLength(last), id: START_ID })
    this.emit({ type: 'rotated' })
  }

  private async readTo(size: number): Promise<void> {
    while (this.readPos < size && !this.closed) {
      const want = Math.min(BLOCK, size - this.readPos)
      const { bytesRead } = await this.file.handle.read(this.block, 0, want, this.readPos)
      if (bytesRead === 0) return
      this.readPos += bytesRead
      const chunk = this.block.subarray(0, bytesRead)
      const before = this.splitter.pending
      const { lines, bytes } = this.splitter.push(chunk)
      if (lines.length === 0) continue
      this.committed += bytes
      // The mark's bytes are in this block when its lines end far enough into it.
      const inBlock = bytes - before
      this.mark = inBlock >= MARK_WINDOW ? markOf(chunk.subarray(inBlock - MARK_WINDOW, inBlock)) : ((await markAt(this.file.handle, this.committed)) ?? EMPTY_MARK)
      this.emit({ type: 'lines', lines, bytes, id: formatPosition({ offset: this.committed, mark: this.mark }) })
    }
  }
}

/** Offset after the last `\n` of the first `size` bytes (0 if none within `maxBack` bytes of the end). */
async function lastLineEnd(handle: import('node:fs/promises').FileHandle, size: number, maxBack: number): Promise<number> {
  const buf = Buffer.allocUnsafe(64 * 1024)
  let end = size
  while (end > 0 && size - end < maxBack) {
    const start = Math.max(0, end - buf.length)
    const { bytesRead } = await handle.read(buf, 0, end - start, start)
    const i = buf.subarray(0, bytesRead).lastIndexOf(0x0a)
    if (i >= 0) return start + i + 1
    end = start
  }
  return end === 0 ? 0 : size
}
