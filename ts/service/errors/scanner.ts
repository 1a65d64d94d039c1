/**
 * Incremental error scan of one log file: from where the last scan stopped to the last complete
 * line, each line classified, a Python traceback grouped into one event (at its first line,
 * with the exception line as its text). A traceback still open at the end, or a last line
 * without its newline, is left for the next scan (the offset stays before it), so a file that
 * grows is scanned once byte for byte. A new inode or a shrunk file is scanned from its start.
 * Compressed files (.gz, .zst) do not grow: they are scanned whole, once.
 */
import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { type Classifier, isErrorLevel, type LineLevel } from './classifier.js'
import { PYTHON_TRACEBACK } from './signatures.js'

export interface ScanState {
  ino: number
  /** Bytes (decoded, for a compressed file) scanned so far. */
  offset: number
  /** Lines before `offset`. */
  lines: number
  errors: number
  warnings: number
}

export interface ErrorEvent {
  /** 1-based line of the event (a traceback: its first line). */
  line: number
  level: LineLevel
  signature?: string
  /** The line (a traceback: its exception line), at most 1,000 characters. */
  text: string
  /** ms since the epoch: the line's own timestamp, else the file's mtime. */
  time: number
}

export interface ScanResult {
  state: ScanState
  events: ErrorEvent[]
  /** Scanned from the start: the file's earlier events are void. */
  fresh: boolean
}

const MAX_TEXT = 1000
const TRACEBACK = /Traceback \(most recent call last\):\s*$/
const LEADING_TIME = /^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)/

function lineTime(text: string, fallback: number): number {
  const m = LEADING_TIME.exec(text)
  if (m) {
    const t = Date.parse((m[1] as string).replace(',', '.').replace(' ', 'T'))
    if (!Number.isNaN(t)) return t
  }
  if (text.startsWith('{')) {
    const j = /"(?:time|timestamp|ts|@timestamp)"\s*:\s*("([^"]+)"|\d+(?:\.\d+)?)/.exec(text)
    if (j) {
      const t = j[2] !== undefined ? Date.parse(j[2]) : Number(j[1])
      if (!Number.isNaN(t)) return t < 1e11 ? t * 1000 : t
    }
  }
  return fallback
}

function countNewlines(s: string, from: number, to: number): number {
  let n = 0
  for (let i = s.indexOf('\n', from); i !== -1 && i < to; i = s.indexOf('\n', i + 1)) n++
  return n
}

function decoded(path: string, compression: 'gzip' | 'zstd' | null, start: number): Promise<Readable> {
  // 64 KiB blocks: the block and its latin1 string stay in V8's young generation (a 1 MiB string goes to
  // large-object space and lives until a full GC: +90 MB of peak RSS over a 2 GiB file).
  const raw = createReadStream(path, { start: compression === null ? start : 0, highWaterMark: 64 << 10 })
  if (compression === null) return Promise.resolve(raw)
  if (compression === 'gzip') return Promise.resolve(raw.pipe(createGunzip()))
  // The zstd stream comes with the native addon: loaded only when a .zst file is scanned.
  return import('../../transfer/zstd-stream.js').then(({ ZstdDecompressStream }) => raw.pipe(new ZstdDecompressStream()))
}

/** The native search, loaded with the first plain file scanned (it comes with the addon). */
let nativeSearch: Promise<[typeof import('../../search/native-search.js'), typeof import('../../search/search-logs.js'), typeof import('../../native.js')]> | undefined
const loadNativeSearch = (): NonNullable<typeof nativeSearch> => (nativeSearch ??= Promise.all([import('../../search/native-search.js'), import('../../search/search-logs.js'), import('../../native.js')]))
/** New bytes up to this are searched on the JS thread (about a millisecond): a search thread's hand-offs would cost more. */
const SEARCH_HERE_BYTES = 1 << 20

/**
 * Hands the complete lines of `path` from byte `at` (a line start) to byte `end` (a line start)
 * to `each` until it returns false; returns where the lines handed stop.
 */
async function readLines(path: string, at: number, end: number, each: (buf: Buffer, from: number, nl: number, at: number) => boolean): Promise<number> {
  const fh = await open(path, 'r')
  try {
    let rest: Buffer = Buffer.alloc(0)
    while (at < end) {
      const want = Math.min(64 << 10, end - at - rest.length)
      if (want <= 0) return at
      const chunk = Buffer.allocUnsafe(want)
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, at + rest.length)
      if (bytesRead === 0) return at
      const buf = rest.length > 0 ? Buffer.concat([rest, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead)
      let from = 0
      for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, from)) {
        if (!each(buf, from, nl, at)) return at + nl + 1 - from
        at += nl + 1 - from
        from = nl + 1
      }
      rest = Buffer.from(buf.subarray(from))
    }
    return at
  } finally {
    await fh.close()
  }
}

export function compressionOfName(name: string): 'gzip' | 'zstd' | null {
  const n = name.toLowerCase()
  if (n.endsWith('.gz')) return 'gzip'
  if (n.endsWith('.zst') || n.endsWith('.zstd')) return 'zstd'
  return null
}

export interface ScanFileOptions {
  path: string
  ino: number
  size: number
  mtimeMs: number
  classifier: Classifier
  /** Where the last scan of this file stopped. */
  previous?: ScanState
}

/** Scans what `previous` has not seen; undefined when there is nothing new. */
export async function scanFile(o: ScanFileOptions): Promise<ScanResult | undefined> {
  const compression = compressionOfName(o.path)
  const prev = o.previous
  const resume = prev !== undefined && prev.ino === o.ino && (compression !== null || prev.offset <= o.size)
  if (resume && (compression !== null || prev.offset === o.size)) return undefined
  const state: ScanState = resume ? { ...prev } : { ino: o.ino, offset: 0, lines: 0, errors: 0, warnings: 0 }
  const events: ErrorEvent[] = []
  const whole = compression !== null
  // An open traceback: where it began (bytes, line), its prefix ("[rank0]: "), the lines it has.
  let tb: { offset: number; lines: number; line: number; prefix: string; text: string; time: number } | undefined
  let offset = state.offset
  let lines = state.lines
  let errors = state.errors
  let warnings = state.warnings

  const emit = (e: ErrorEvent): void => {
    events.push(e)
    if (isErrorLevel(e.level)) errors++
  }
  const closeTraceback = (exceptionLine: string | undefined): void => {
    if (!tb) return
    emit({ line: tb.line, level: 'error', signature: PYTHON_TRACEBACK, text: (exceptionLine ?? 'Traceback (most recent call last): (no exception line)').slice(0, MAX_TEXT), time: tb.time })
    tb = undefined
  }
  const onLine = (text: string, at: number): void => {
    const n = lines + 1
    if (tb) {
      if (text.startsWith(tb.prefix)) {
        const rest = text.slice(tb.prefix.length)
        if (/^\s/.test(rest) || rest === '') return
        // The exception line ends the traceback (`ValueError: bad`).
        closeTraceback(rest)
        return
      }
      closeTraceback(undefined)
    }
    if (o.classifier.tracebacks) {
      const m = TRACEBACK.exec(text)
      if (m) {
        tb = { offset: at, lines, line: n, prefix: text.slice(0, m.index), text, time: lineTime(text, o.mtimeMs) }
        return
      }
    }
    const c = o.classifier.classify(text)
    if (c.level === 'warn') warnings++
    if (isErrorLevel(c.level)) emit({ line: n, level: c.level as LineLevel, signature: c.signature, text: text.slice(0, MAX_TEXT), time: lineTime(text, o.mtimeMs) })
  }

  const lineText = (buf: Buffer, from: number, nl: number): string => buf.toString('utf8', from, nl > from && buf[nl - 1] === 13 ? nl - 1 : nl)
  let rest: Buffer = Buffer.alloc(0)
  let restAt = offset
  if (compression === null && o.classifier.candidate && o.classifier.nativeCandidate !== undefined) {
    // The native search finds the candidate lines (and where the complete lines end); a traceback's
    // lines after its first are read here, as the loop below would.
    const [{ startSearch }, { SearchFileError }, { native }] = await loadNativeSearch()
    let looked = offset
    let end: { offset: number; line: number } | undefined
    let held: { lineNumber: number; offset: number; line: string } | undefined
    const look = async (m: { lineNumber: number; offset: number; line: string }): Promise<void> => {
      if (m.offset < looked) return
      lines = m.lineNumber - 1
      onLine(m.line.endsWith('\r') ? m.line.slice(0, -1) : m.line, m.offset)
      lines++
      if (!tb) {
        looked = m.offset + 1
        return
      }
      // Its lines go on to the end of the traceback (the end of the file is not known yet while
      // batches still come: complete lines only, up to where the file ends now).
      let first = true
      looked = await readLines(o.path, m.offset, end?.offset ?? Number.MAX_SAFE_INTEGER, (buf, from, nl, at) => {
        if (first) {
          first = false
          return true
        }
        onLine(lineText(buf, from, nl), at)
        lines++
        return tb !== undefined
      })
    }
    const pattern = o.classifier.nativeCandidate
    const search =
      o.size - offset <= SEARCH_HERE_BYTES
        ? [native.searchFileSync({ pattern, regex: true, ignoreCase: true, path: o.path, offset, line: lines + 1 })]
        : startSearch({ pattern, regex: true, ignoreCase: true, paths: [o.path], threads: 1, resume: { path: o.path, mtimeMs: o.mtimeMs, offset, line: lines + 1 } })
    for await (const b of search) {
      if (b.error) throw new SearchFileError(b.error.code as 'ERR_IO' | 'ERR_CORRUPT' | 'ERR_PANIC', o.path, b.error.message)
      if (b.end) end = b.end
      for (const m of b.matches) {
        // One held back: the last one may be a line without its newline yet (left for the next scan).
        if (held) await look(held)
        held = m
      }
    }
    if (end === undefined) throw new SearchFileError('ERR_IO', o.path, 'the search stopped before the end of the file')
    if (held && held.offset < end.offset) await look(held)
    // Past the search's end: the file grew while a traceback was read; its lines are counted.
    if (looked <= end.offset) {
      offset = restAt = end.offset
      lines = end.line - 1
    } else offset = restAt = looked
  } else {
    const input = await decoded(o.path, compression, state.offset)
    const candidate = o.classifier.candidate
    for await (const chunk of input as AsyncIterable<Buffer>) {
      const buf = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk
      const base = restAt
      const last = buf.lastIndexOf(10)
      if (last === -1) {
        rest = Buffer.from(buf)
        continue
      }
      // latin1: one char per byte, so string positions are byte offsets; lines are decoded as UTF-8 when looked at.
      const text = buf.toString('latin1', 0, last + 1)
      let pos = 0
      while (pos < text.length) {
        let start = pos
        if (!tb && candidate) {
          // Most lines hold no level word and no signature: skip to the next line that might.
          candidate.lastIndex = pos
          const m = candidate.exec(text)
          if (!m) {
            lines += countNewlines(text, pos, text.length)
            break
          }
          start = text.lastIndexOf('\n', m.index - 1) + 1
          lines += countNewlines(text, pos, start)
        }
        const nl = text.indexOf('\n', start)
        onLine(lineText(buf, start, nl), base + start)
        lines++
        pos = nl + 1
      }
      // Copied: a view would keep the whole chunk alive until the next one.
      rest = Buffer.from(buf.subarray(last + 1))
      restAt = base + last + 1
      offset = restAt
    }
  }
  if (whole && rest.length > 0) {
    onLine(rest.toString('utf8'), restAt)
    lines++
    offset = restAt + rest.length
  }
  if (tb && !whole) {
    // Not finished yet: scan it again, whole, next time.
    offset = tb.offset
    lines = tb.lines
  } else closeTraceback(undefined)
  return { state: { ino: o.ino, offset, lines, errors, warnings }, events, fresh: !resume }
}
