// @ts-check
/**
 * Lines from bytes: the viewer reads byte ranges, whose ends fall anywhere (inside a line,
 * inside a UTF-8 sequence), so lines are cut at newline bytes and only whole lines are decoded.
 * Also the level a line shows with (its CSS class).
 */
import { classifyLine } from './classify.js'

const NL = 0x0a
const decoder = new TextDecoder('utf-8')
/** Characters of one line put in the page; the rest is cut (a multi-MB line would freeze the tab). */
export const MAX_LINE_CHARS = 20_000

/**
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 */
export function concatBytes(a, b) {
  if (a.length === 0) return b
  if (b.length === 0) return a
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

/**
 * The whole lines of `buf` (which starts at a line start, at byte `base` of the file) and the
 * bytes after the last newline.
 * @param {Uint8Array} buf
 * @param {number} base
 * @returns {{ lines: { off: number, bytes: Uint8Array }[], rest: Uint8Array }}
 */
export function splitLines(buf, base) {
  const lines = []
  let start = 0
  for (;;) {
    const nl = buf.indexOf(NL, start)
    if (nl < 0) break
    lines.push({ off: base + start, bytes: buf.subarray(start, nl + 1) })
    start = nl + 1
  }
  return { lines, rest: buf.subarray(start) }
}

/**
 * The text of one line as shown: decoded, without its line end, cut at MAX_LINE_CHARS.
 * @param {Uint8Array} bytes
 */
export function lineText(bytes) {
  let end = bytes.length
  if (end > 0 && bytes[end - 1] === NL) end--
  if (end > 0 && bytes[end - 1] === 0x0d) end--
  const cut = end > MAX_LINE_CHARS * 4
  const text = decoder.decode(bytes.subarray(0, cut ? MAX_LINE_CHARS * 4 : end))
  return text.length > MAX_LINE_CHARS || cut ? `${text.slice(0, MAX_LINE_CHARS)} … [${end} bytes, cut]` : text
}

/**
 * The level a line gets from the service's own classifier (classify.js, generated from
 * ts/service/errors/classifier.ts): built-in error signatures first (CUDA out of memory,
 * slurmstepd errors, OOM killer ...), then the level the line states.
 * @param {string} text
 * @returns {{ level: string | null, signature: string | undefined }}
 */
export function levelOf(text) {
  const c = classifyLine(text)
  return { level: c.level ?? null, signature: c.signature }
}

/**
 * A line's element: `<div class="line lvl-error" data-off="123">text</div>`.
 * @param {string} text
 * @param {number | null} off byte offset of the line in the file, when known
 */
export function lineElement(text, off) {
  const el = document.createElement('div')
  const { level, signature } = levelOf(text)
  el.className = level === null ? 'line' : `line lvl-${level}`
  if (signature !== undefined) el.title = signature
  if (off !== null) el.dataset.off = String(off)
  el.textContent = text === '' ? '\u200b' : text
  return el
}
