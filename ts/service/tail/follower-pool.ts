/**
 * One follower per file, shared by every client tailing it (fan-out): the first client opens
 * it, the last one leaving closes it. A client joins at a position no read is moving, so the
 * lines it is sent first (its backlog: the last N lines, or from its resume point) end exactly
 * where the live lines it is delivered begin: none lost, none twice.
 */
import { markAt } from './content-mark.js'
import { FileFollower, type FollowerOptions } from './file-follower.js'
import type { FollowerEvent } from './follower-events.js'
import type { SharedHandle } from './shared-handle.js'
import { tailStart } from '../http/lines.js'

export interface TailSubscriber {
  /** Called in file order; must not throw. */
  deliver(e: FollowerEvent): void
}

export type StartAt = { kind: 'tail'; lines: number } | { kind: 'resume'; offset: number; mark: string }

export interface Joined {
  /** Bytes [from, to) of `file` (whole lines) to send before anything delivered; release `file` after. */
  backlog: { file: SharedHandle; from: number; to: number }
  /** The resume point is not in the file any more (rotated or truncated since): the backlog starts at its start. */
  resumeLost: boolean
  leave(): Promise<void>
}

interface Entry {
  follower: Promise<FileFollower>
  subs: Set<TailSubscriber>
  /** Joins under way: the follower stays open for them. */
  joining: number
}

export class FollowerPool {
  private readonly entries = new Map<string, Entry>()
  private count = 0

  constructor(private readonly opts: FollowerOptions) {}

  /** Clients joined, all files together. */
  get clients(): number {
    return this.count
  }

  /** Files followed. */
  get files(): number {
    return this.entries.size
  }

  /** Follows `realPath` for `sub` from `start`. */
  async join(realPath: string, sub: TailSubscriber, start: StartAt): Promise<Joined> {
    let entry = this.entries.get(realPath)
    if (entry === undefined) {
      const subs = new Set<TailSubscriber>()
      const follower = FileFollower.open(realPath, this.opts, (e) => {
        for (const s of subs) s.deliver(e)
        if (e.type === 'failed' && this.entries.get(realPath) === created) this.entries.delete(realPath)
      })
      const created: Entry = { follower, subs, joining: 0 }
      entry = created
      this.entries.set(realPath, created)
      follower.catch(() => {
        if (this.entries.get(realPath) === created) this.entries.delete(realPath)
      })
    }
    const e = entry
    e.joining++
    let follower: FileFollower
    try {
      follower = await e.follower
    } finally {
      e.joining--
    }
    this.count++
    e.joining++
    try {
      return await follower.exclusive(async (view) => {
        let from: number
        let resumeLost = false
        if (start.kind === 'tail') from = await tailStart(view.file.handle, view.committed, start.lines)
        else if (start.offset <= view.committed && (await markAt(view.file.handle, start.offset)) === start.mark) from = start.offset
        else {
          from = 0
          resumeLost = true
        }
        e.subs.add(sub)
        e.joining--
        let left = false
        return {
          backlog: { file: view.file.retain(), from, to: view.committed },
          resumeLost,
          leave: async () => {
            if (left) return
            left = true
            this.count--
            e.subs.delete(sub)
            if (e.subs.size > 0 || e.joining > 0) return
            if (this.entries.get(realPath) === e) this.entries.delete(realPath)
            await follower.close()
          },
        }
      })
    } catch (err) {
      this.count--
      e.joining--
      if (e.subs.size === 0 && e.joining === 0) {
        if (this.entries.get(realPath) === e) this.entries.delete(realPath)
        await follower.close()
      }
      throw err
    }
  }

  async close(): Promise<void> {
    const all = [...this.entries.values()]
    this.entries.clear()
    await Promise.all(all.map(async (e) => (await e.follower.catch(() => undefined))?.close()))
  }
}
