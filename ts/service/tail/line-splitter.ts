/**
 * Complete lines out of bytes that arrive in arbitrary pieces. A line ends at `\n` (as GNU
 * tail counts them; `\r` is content); the bytes after the last `\n` wait for the rest of their
 * line. A line longer than `maxLineBytes` is cut there and passed as a line of its own, so a
 * writer that never writes a newline cannot make the follower hold unbounded memory.
 */
const NL = 0x0a

export interface SplitLines {
  /** The lines' text without their `\n`. */
  lines: string[]
  /** Bytes the lines took in the file, `\n`s included. */
  bytes: number
}

export class LineSplitter {
  private partial: Buffer[] = []
  private partialBytes = 0

  constructor(private readonly maxLineBytes: number) {}

  /** Bytes of an unfinished line held. */
  get pending(): number {
    return this.partialBytes
  }

  /** Feeds `chunk`; returns the lines it completed. */
  push(chunk: Buffer): SplitLines {
    const lines: string[] = []
    let bytes = 0
    let from = 0
    for (;;) {
      const i = chunk.indexOf(NL, from)
      if (i < 0) break
      if (this.partialBytes === 0) lines.push(chunk.toString('utf8', from, i))
      else {
        this.partial.push(chunk.subarray(from, i))
        lines.push(Buffer.concat(this.partial).toString('utf8'))
        this.partial = []
      }
      bytes += this.partialBytes + i - from + 1
      this.partialBytes = 0
      from = i + 1
    }
    let rest = chunk.subarray(from)
    while (this.partialBytes + rest.length > this.maxLineBytes) {
      // Copies: a slice would pin the whole read block for as long as the line waits.
      const take = this.maxLineBytes - this.partialBytes
      this.partial.push(rest.subarray(0, take))
      lines.push(Buffer.concat(this.partial).toString('utf8'))
      bytes += this.maxLineBytes
      this.partial = []
      this.partialBytes = 0
      rest = rest.subarray(take)
    }
    if (rest.length > 0) {
      this.partial.push(Buffer.from(rest))
      this.partialBytes += rest.length
    }
    return { lines, bytes }
  }

  /** The unfinished line as a line of its own (a file that ended without `\n`), or undefined. */
  flush(): string | undefined {
    if (this.partialBytes === 0) return undefined
    const s = Buffer.concat(this.partial).toString('utf8')
    this.reset()
    return s
  }

  reset(): void {
    this.partial = []
    this.partialBytes = 0
  }
}
