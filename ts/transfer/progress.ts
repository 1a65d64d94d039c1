/** Byte and file counters behind onProgress. */
import type { TransferProgress } from './types.js'

export class ProgressTracker {
  private bytesDone = 0
  private filesDone = 0

  constructor(
    private readonly bytesTotal: number,
    private readonly filesTotal: number,
    private readonly listener?: (p: TransferProgress) => void,
  ) {}

  /** Bytes streamed (or, with a negative n, given back when an attempt is abandoned). */
  addBytes(n: number): void {
    if (n === 0) return
    this.bytesDone += n
    this.emit()
  }

  /** A file finished (whatever its outcome); `bytes` are counted as done for it now. */
  fileDone(bytes = 0): void {
    this.filesDone++
    this.bytesDone += bytes
    this.emit()
  }

  snapshot(): TransferProgress {
    return { bytesDone: this.bytesDone, bytesTotal: this.bytesTotal, filesDone: this.filesDone, filesTotal: this.filesTotal }
  }

  private emit(): void {
    if (!this.listener) return
    try {
      this.listener(this.snapshot())
    } catch {
      // A failing progress callback must not fail the transfer.
    }
  }
}
