/**
 * An open file that several readers use: the follower moves on to a rotated file's successor
 * while a client may still be sending its initial tail from the old one, so the handle closes
 * when the follower let go of it and the last reader released it.
 */
import type { FileHandle } from 'node:fs/promises'

export class SharedHandle {
  private refs = 1
  constructor(readonly handle: FileHandle) {}

  retain(): this {
    this.refs++
    return this
  }

  release(): void {
    if (--this.refs === 0) void this.handle.close().catch(() => undefined)
  }
}
