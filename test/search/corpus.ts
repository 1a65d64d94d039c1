/**
 * A small generated log tree for comparing logferry search with ripgrep: plain logs, unicode,
 * CRLF, lines far longer than the scan block, binary junk (NUL, invalid UTF-8), a file without
 * a final newline, an empty file, a hidden file, nested directories, a multi-member `.gz` and a
 * `.zst` (made by the real zstd CLI). Deterministic; distinct mtimes, so the newest-first order
 * is known.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { gzipSync } from 'node:zlib'

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

const WORDS = ['connection', 'timeout', 'failed', 'échec', 'Grüße', '日本語', 'ok', 'retry', 'user=42', 'ÉCHEC', '🚀', 'a', 'b', 'FAILURE', 'worker', 'cost=$1.5(x)']
const LEVELS = ['INFO', 'WARN', 'ERROR', 'DEBUG']

function logLines(seed: number, n: number, eol = '\n'): string {
  const r = rng(seed)
  let out = ''
  for (let i = 0; i < n; i++) {
    const words = Array.from({ length: 1 + Math.floor(r() * 8) }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ')
    const ms = Math.floor(r() * 5000)
    const kind = r()
    if (kind < 0.05) out += eol
    else if (kind < 0.1) out += `a${eol}b${eol}`
    else out += `2026-12-0${1 + (i % 9)}T10:${String(i % 60).padStart(2, '0')}:00Z ${LEVELS[Math.floor(r() * 4)]} ${words}${kind < 0.3 ? ` timeout after ${ms}ms` : ''}${eol}`
  }
  return out
}

export interface Corpus {
  root: string
  /** Relative paths of the files a walk sees, newest first. */
  newestFirst: string[]
}

export function makeCorpus(root: string): Corpus {
  const files: [string, Buffer][] = []
  const add = (rel: string, data: string | Buffer): void => void files.push([rel, Buffer.isBuffer(data) ? data : Buffer.from(data)])

  add('app.log', logLines(1, 3000))
  add('crlf.log', logLines(2, 800, '\r\n'))
  const long = (n: number, mid: string): string => `${'x'.repeat(n)}${mid}${'y'.repeat(n)}`
  add('long.log', [long(300_000, ' NEEDLE '), 'short NEEDLE line', long(1_200_000, ' ERROR timeout after 9ms '), '', long(70_000, ''), 'end NEEDLE'].join('\n') + '\n')
  const junk = Buffer.concat([
    Buffer.from(logLines(3, 200)),
    Buffer.from([0, 0, 0, 0xff, 0xfe, 0x80, 0x0a, 0xc3, 0x28, 0x20]),
    Buffer.from('NEEDLE after invalid utf-8 \xff\n', 'latin1'),
    Buffer.alloc(5000, 0),
    Buffer.from('\nERROR after NULs\n'),
    Buffer.from([0xe2, 0x82, 0x41, 0x20, 0x45, 0x52, 0x52, 0x4f, 0x52, 0x0a]),
    Buffer.from(logLines(4, 200)),
  ])
  add('nested/deep/junk.log', junk)
  add('nested/no-newline.log', 'first ERROR\nlast line ERROR NEEDLE without newline')
  add('nested/empty.log', '')
  add('.hidden.log', 'ERROR NEEDLE hidden\n')
  add('nested/.hidden-dir/x.log', 'ERROR NEEDLE hidden dir\n')
  add('rotated.log.1.gz', Buffer.concat([gzipSync(logLines(5, 1500)), gzipSync(''), gzipSync(logLines(6, 1500, '\r\n'))]))
  const zst = spawnSync('zstd', ['-q', '-c'], { input: logLines(7, 2000) })
  if (zst.status !== 0) throw new Error(`zstd: ${zst.stderr.toString()}`)
  add('rotated.log.2.zst', zst.stdout)

  let t = 1_790_000_000
  for (const [rel, data] of files) {
    const p = join(root, rel)
    mkdirSync(dirname(p), { recursive: true })
    writeFileSync(p, data)
  }
  // Newest first: the order given by this list (distinct mtimes, one minute apart).
  const order = ['nested/no-newline.log', 'app.log', 'rotated.log.2.zst', 'nested/deep/junk.log', 'crlf.log', 'long.log', 'nested/empty.log', 'rotated.log.1.gz']
  for (const rel of order) {
    utimesSync(join(root, rel), t, t)
    t -= 60
  }
  return { root, newestFirst: order }
}
