// @ts-check
/**
 * The file viewer: opens at the file's end (or at a byte offset, for a search hit) and loads
 * older lines when scrolled to the top, newer ones at the bottom, 256 KiB byte ranges at a time
 * (`/logs/content?offset=&length=`): a file is never fetched whole. The page keeps at most
 * MAX_LINES lines; past that it forgets the far end and reads it again if scrolled back.
 *
 * A compressed file has no byte size to start from (ranges are offsets in its decoded content):
 * it opens with its last lines (`tail=`), or at a search hit's offset and pages from there.
 */
import { apiFetch, isMissingRoute, query } from './api.js'
import { findEntry, isCompressed } from './catalog.js'
import { downloadFile } from './download.js'
import { errorBox, formatBytes, formatTime, h } from './dom.js'
import { concatBytes, lineElement, lineText, splitLines } from './lines.js'
import { searchPage } from './search-api.js'

export const CHUNK = 256 * 1024
export const MAX_LINES = 10_000
const COMPRESSED_TAIL_LINES = 2000
/** A line longer than this is not read further back. */
const MAX_PARTIAL = 1024 * 1024
const EDGE_PX = 400
/** At the end of the file, scrolling at the bottom asks for more at most this often. */
const EOF_RECHECK_MS = 2000
/** @type {Uint8Array} */
const EMPTY = new Uint8Array(0)

/**
 * @param {string} path
 * @param {number} offset
 * @param {number} length
 */
async function readRange(path, offset, length) {
  const res = await apiFetch(`/logs/content${query({ path, offset, length })}`)
  return new Uint8Array(await res.arrayBuffer())
}

class FileView {
  /**
   * @param {HTMLElement} box the scrolling element holding the lines
   * @param {string} path
   * @param {(s: string) => void} onState
   */
  constructor(box, path, onState) {
    this.box = box
    this.path = path
    this.onState = onState
    /** Byte offset of the first byte held (start of headFrag). */
    this.lo = 0
    /** Byte offset after the last byte held. */
    this.hi = 0
    /** Bytes from lo to the first shown line: the end of a line that starts before lo. @type {Uint8Array} */
    this.headFrag = EMPTY
    /** Bytes after the last newline held (a line still being written, or cut by the range). @type {Uint8Array} */
    this.tailFrag = EMPTY
    /** The last range read came back short: nothing after hi (when it was read). */
    this.eof = false
    this.eofAt = 0
    this.busy = false
    this.topMarker = h('div', { class: 'marker top' })
    this.bottomMarker = h('div', { class: 'marker bottom' })
    this.lines = h('div', { class: 'lines' })
    box.replaceChildren(this.topMarker, this.lines, this.bottomMarker)
    box.addEventListener('scroll', () => void this.onScroll())
  }

  /** @param {() => Promise<void>} fn */
  async exclusive(fn) {
    if (this.busy) return
    this.busy = true
    try {
      await fn()
    } catch (err) {
      this.lines.before(errorBox(err))
    } finally {
      this.busy = false
      this.markers()
    }
  }

  markers() {
    this.topMarker.textContent =
      this.lo === 0 && this.headFrag.length === 0 ? '— start of file —' : `bytes before ${this.lo.toLocaleString()} not loaded: scroll up for older lines`
    this.bottomMarker.textContent = this.eof ? `— end of file at ${this.hi.toLocaleString()} bytes (scroll down to check for more) —` : 'scroll down for newer lines'
    this.onState(`${this.lines.childElementCount.toLocaleString()} lines, bytes ${this.lo.toLocaleString()}–${this.hi.toLocaleString()}`)
  }

  async onScroll() {
    const b = this.box
    if (b.scrollTop < EDGE_PX && (this.lo > 0 || this.headFrag.length > 0)) await this.exclusive(() => this.older())
    else if (b.scrollHeight - b.scrollTop - b.clientHeight < EDGE_PX && !(this.eof && Date.now() - this.eofAt < EOF_RECHECK_MS))
      await this.exclusive(() => this.newer())
  }

  /**
   * Reads [offset, offset + length) as the first range: the bytes before its first newline belong
   * to a line that starts earlier (unless offset is 0).
   * @param {number} offset
   * @param {number} length
   */
  async first(offset, length) {
    const bytes = await readRange(this.path, offset, length)
    this.lo = offset
    this.hi = offset
    /** @type {Uint8Array} */
    let body = bytes
    if (offset > 0) {
      const nl = bytes.indexOf(0x0a)
      this.headFrag = nl < 0 ? bytes : bytes.subarray(0, nl + 1)
      body = nl < 0 ? EMPTY : bytes.subarray(nl + 1)
      this.hi = offset + this.headFrag.length
    }
    this.append(body, bytes.length < length, offset + bytes.length)
  }

  /**
   * @param {Uint8Array} bytes read at this.hi
   * @param {boolean} eof
   * @param {number} end offset after the bytes
   */
  append(bytes, eof, end) {
    this.lines.querySelector('.partial')?.remove()
    const base = this.hi - this.tailFrag.length
    const { lines, rest } = splitLines(concatBytes(this.tailFrag, bytes), base)
    const frag = document.createDocumentFragment()
    for (const l of lines) frag.append(lineElement(lineText(l.bytes), l.off))
    this.tailFrag = rest
    this.hi = end
    this.eof = eof
    if (eof) this.eofAt = Date.now()
    if (eof && rest.length > 0) {
      const el = lineElement(lineText(rest), end - rest.length)
      el.classList.add('partial')
      el.title = 'no newline yet'
      frag.append(el)
    }
    this.lines.append(frag)
    this.capFromTop()
  }

  /** Past MAX_LINES after an append: forget the oldest lines. */
  capFromTop() {
    const extra = this.lines.childElementCount - MAX_LINES
    if (extra <= 0) return
    const before = this.box.scrollHeight
    for (let i = 0; i < extra; i++) this.lines.firstElementChild?.remove()
    this.box.scrollTop -= before - this.box.scrollHeight
    const first = /** @type {HTMLElement | null} */ (this.lines.firstElementChild)
    this.lo = first === null ? this.hi : Number(first.dataset.off)
    this.headFrag = EMPTY
  }

  /** Past MAX_LINES after a prepend: forget the newest lines. */
  capFromBottom() {
    const extra = this.lines.childElementCount - MAX_LINES
    if (extra <= 0) return
    let last = /** @type {HTMLElement | null} */ (null)
    for (let i = 0; i < extra; i++) {
      last = /** @type {HTMLElement | null} */ (this.lines.lastElementChild)
      last?.remove()
    }
    if (last !== null) this.hi = Number(last.dataset.off)
    this.tailFrag = EMPTY
    this.eof = false
  }

  async older() {
    // A line longer than a chunk: keep reading back until its start (within MAX_PARTIAL).
    for (;;) {
      const a = Math.max(0, this.lo - CHUNK)
      const bytes = await readRange(this.path, a, this.lo - a)
      const buf = concatBytes(bytes, this.headFrag)
      let lines
      if (a === 0) {
        lines = splitLines(buf, 0).lines
        this.headFrag = EMPTY
      } else {
        const nl = buf.indexOf(0x0a)
        if (nl < 0) {
          this.headFrag = buf
          this.lo = a
          if (buf.length > MAX_PARTIAL) {
            this.lines.prepend(h('div', { class: 'line cut' }, `[a line of more than ${formatBytes(MAX_PARTIAL)} starts before here; not shown]`))
            this.headFrag = EMPTY
            this.lo = 0
            return
          }
          continue
        }
        this.headFrag = buf.subarray(0, nl + 1)
        lines = splitLines(buf.subarray(nl + 1), a + nl + 1).lines
      }
      this.lo = a
      const frag = document.createDocumentFragment()
      for (const l of lines) frag.append(lineElement(lineText(l.bytes), l.off))
      const before = this.box.scrollHeight
      this.lines.prepend(frag)
      this.box.scrollTop += this.box.scrollHeight - before
      this.capFromBottom()
      return
    }
  }

  async newer() {
    const bytes = await readRange(this.path, this.hi, CHUNK)
    this.append(bytes, bytes.length < CHUNK, this.hi + bytes.length)
  }

  /** @param {number} size */
  async openTail(size) {
    const a = Math.max(0, size - CHUNK)
    await this.exclusive(() => this.first(a, size - a))
    this.box.scrollTop = this.box.scrollHeight
  }

  /**
   * Opens around byte `at` and marks the line holding it.
   * @param {number} at
   */
  async openAt(at) {
    const a = Math.max(0, at - CHUNK / 2)
    await this.exclusive(() => this.first(a, CHUNK))
    /** @type {HTMLElement | null} */
    let hit = null
    for (const el of /** @type {NodeListOf<HTMLElement>} */ (this.lines.querySelectorAll('.line'))) {
      if (Number(el.dataset.off) > at) break
      hit = el
    }
    if (hit !== null) {
      hit.classList.add('hit')
      hit.scrollIntoView({ block: 'center' })
    }
    return hit
  }
}

/**
 * A compressed file's last lines (decoded by the service, forward: it cannot be read backwards).
 * @param {HTMLElement} box
 * @param {string} path
 */
async function compressedTail(box, path) {
  const res = await apiFetch(`/logs/content${query({ path, tail: COMPRESSED_TAIL_LINES })}`)
  const { lines, rest } = splitLines(new Uint8Array(await res.arrayBuffer()), 0)
  const frag = document.createDocumentFragment()
  frag.append(h('div', { class: 'marker top' }, `compressed file: its last ${COMPRESSED_TAIL_LINES.toLocaleString()} lines; download it for the rest`))
  for (const l of lines) frag.append(lineElement(lineText(l.bytes), null))
  if (rest.length > 0) frag.append(lineElement(lineText(rest), null))
  box.replaceChildren(frag)
  box.scrollTop = box.scrollHeight
}

/**
 * The byte offset of line `line` of `path`, whose text is `text` (an error event gives both):
 * found by the service's search in that one file, so the file is not read from its start here.
 * Null when the search finds no such line or the service has no search.
 * @param {string} path
 * @param {number} line
 * @param {string} text
 */
async function offsetOfLine(path, line, text) {
  try {
    const page = await searchPage({ q: text, path, limit: 1000 })
    return page.matches.find((m) => m.path === path && m.line === line)?.offset ?? null
  } catch (err) {
    if (isMissingRoute(err)) return null
    throw err
  }
}

/**
 * `#/file?path=...[&at=<byte offset>][&line=<line number>[&find=<its text>]]`
 * @param {HTMLElement} view
 * @param {URLSearchParams} params
 */
export async function renderViewer(view, params) {
  const path = params.get('path') ?? ''
  const atRaw = params.get('at')
  let at = atRaw === null ? null : Number(atRaw)
  const state = h('span', { class: 'muted', id: 'viewer-state' })
  const box = h('div', { class: 'log-box', id: 'viewer-lines', tabindex: 0 })
  const info = h('span', { class: 'muted' })
  /** @type {number | undefined} */
  let size
  view.replaceChildren(
    h(
      'div',
      { class: 'toolbar' },
      h('h1', { class: 'path' }, path),
      info,
      h('a', { class: 'button', href: `#/live${query({ path })}`, id: 'open-live' }, 'Live tail'),
      h('button', { type: 'button', id: 'download', onclick: () => void downloadFile(path, size).catch((e) => view.append(errorBox(e))) }, 'Download'),
      state,
    ),
    box,
  )
  try {
    const entry = await findEntry(path)
    if (entry !== null) {
      size = entry.size
      info.textContent = `${formatBytes(entry.size)} · modified ${formatTime(entry.mtime)} · ${entry.service}`
    }
    const line = params.get('line')
    const find = params.get('find')
    if (at === null && line !== null && find !== null) {
      at = await offsetOfLine(path, Number(line), find)
      if (at === null) view.insertBefore(h('p', { class: 'muted', id: 'line-not-found' }, `line ${line} could not be located (no search on this service, or the file changed): showing the end`), box)
    }
    if (isCompressed(path) && (at === null || !Number.isFinite(at))) return await compressedTail(box, path)
    const fv = new FileView(box, path, (s) => (state.textContent = s))
    if (at !== null && Number.isFinite(at) && at >= 0) {
      const hit = await fv.openAt(at)
      if (hit !== null && line !== null) hit.dataset.line = line
    } else {
      if (entry === null) throw new Error(`${path}: not in the service's catalog (sync it first)`)
      await fv.openTail(entry.size)
    }
  } catch (err) {
    view.append(errorBox(err))
  }
}
