/** A one-line progress bar redrawn in place on a TTY (at most every 100 ms). */
import type { WriteStream } from 'node:tty'
import type { TransferProgress } from '../transfer/index.js'
import { formatBytes, formatRate } from './format.js'

const WIDTH = 24

export class ProgressBar {
  #last = 0
  #drawn = false
  readonly #started = Date.now()

  constructor(private readonly out: WriteStream) {}

  update(p: TransferProgress, force = false): void {
    const now = Date.now()
    if (!force && now - this.#last < 100) return
    this.#last = now
    const frac = p.bytesTotal > 0 ? Math.min(1, p.bytesDone / p.bytesTotal) : p.filesTotal > 0 ? p.filesDone / p.filesTotal : 1
    const filled = Math.round(frac * WIDTH)
    const elapsed = now - this.#started
    const eta = frac > 0 && frac < 1 ? ` ETA ${Math.ceil(((elapsed / frac) * (1 - frac)) / 1000)} s` : ''
    const text =
      `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ` +
      `${p.filesDone}/${p.filesTotal} files  ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}  ` +
      `${formatRate(p.bytesDone, elapsed)}${eta}`
    // A terminal that reports 0 columns (serial consoles, some CI ptys) gets the default width.
    this.out.write(`\r${text.slice(0, Math.max(20, (this.out.columns || 100) - 1))}\x1b[K`)
    this.#drawn = true
  }

  /** Leaves the line so that following output starts on a fresh line. */
  done(): void {
    if (this.#drawn) this.out.write('\n')
    this.#drawn = false
  }
}
