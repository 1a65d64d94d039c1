/** The transfer progress line: its width follows the terminal, and a terminal reporting 0 columns gets the default. */
import type { WriteStream } from 'node:tty'
import { describe, expect, it } from 'vitest'
import { ProgressBar } from '../../ts/cli/progress-bar.js'

function drawn(columns: number | undefined): string {
  let text = ''
  const out = { columns, write: (s: string) => ((text += s), true) } as unknown as WriteStream
  new ProgressBar(out).update({ bytesDone: 512, bytesTotal: 1024, filesDone: 1, filesTotal: 2 } as Parameters<ProgressBar['update']>[0], true)
  return text.replace(/^\r/, '').replace(/\x1b\[K$/, '')
}

describe('ProgressBar', () => {
  it('fits the line in the terminal width', () => {
    expect(drawn(40)).toHaveLength(39)
    expect(drawn(40).startsWith('[############............]  50%')).toBe(true)
  })
  it('a terminal reporting 0 columns or none gets the whole line (up to 99 characters), not 20', () => {
    expect(drawn(0)).toBe(drawn(undefined))
    expect(drawn(0).length).toBeGreaterThan(40)
    expect(drawn(0)).toContain('1/2 files')
  })
})
