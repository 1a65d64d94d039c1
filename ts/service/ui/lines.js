// @ts-check
/**
 * Lines from bytes: the viewer reads byte ranges, whose ends fall anywhere (inside a line,
 * inside a UTF-8 sequence), so lines are cut at newline bytes and only whole lines are decoded.
 * Also the level a line shows with (its CSS class).
 */

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

/*
 * The colour of a line: the level it states. This only colours what the line says of itself
 * (a level word or a JSON level field); the service's error detection, with its signatures
 * (tracebacks, CUDA out of memory, slurmstepd ...), is what counts errors.
 */
const LEVELS = /** @type {const} */ ([
  ['fatal', /\b(FATAL|CRITICAL|PANIC|EMERG)\b|"level"\s*:\s*"(fatal|critical|panic)"|"level"\s*:\s*60\b/i],
  ['error', /\b(ERROR|ERR|SEVERE)\b|"level"\s*:\s*"(error|err)"|"level"\s*:\s*50\b/i],
  ['warn', /\b(WARN|WARNING)\b|"level"\s*:\s*"(warn|warning)"|"level"\s*:\s*40\b/i],
  ['info', /\bINFO\b|"level"\s*:\s*"info"|"level"\s*:\s*30\b/i],
  ['debug', /\b(DEBUG|TRACE)\b|"level"\s*:\s*"(debug|trace)"|"level"\s*:\s*(10|20)\b/i],
])

/**
 * Looked for in the line's first 300 characters, where a logger puts its level.
 * @param {string} text
 * @returns {string | null}
 */
export function levelOf(text) {
  const head = text.slice(0, 300)
  for (const [name, re] of LEVELS) if (re.test(head)) return name
  return null
}

/**
 * A line's element: `<div class="line lvl-error" data-off="123">text</div>`.
 * @param {string} text
 * @param {number | null} off byte offset of the line in the file, when known
 */
export function lineElement(text, off) {
  const el = document.createElement('div')
  const lvl = levelOf(text)
  el.className = lvl === null ? 'line' : `line lvl-${lvl}`
  if (off !== null) el.dataset.off = String(off)
  el.textContent = text === '' ? '\u200b' : text
  return el
}
