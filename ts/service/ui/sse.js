// @ts-check
/**
 * Server-Sent Events read from a fetch() body rather than EventSource: EventSource cannot send
 * the Authorization header, and here the page decides when and from which id it reconnects.
 * Parsing per the HTML standard's event stream format (fields `event`, `data`, `id`; `:` lines
 * are comments; an empty line dispatches).
 */

/**
 * @typedef {{ type: string, data: string, id: string | null }} SseEvent
 */

/**
 * @param {ReadableStream<Uint8Array>} body
 * @returns {AsyncGenerator<SseEvent>}
 */
export async function* sseEvents(body) {
  const reader = body.pipeThrough(/** @type {TransformStream<Uint8Array, string>} */ (/** @type {unknown} */ (new TextDecoderStream()))).getReader()
  let buf = ''
  let type = ''
  /** @type {string[]} */
  let data = []
  /** @type {string | null} */
  let id = null
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      buf += value
      for (;;) {
        const m = /\r\n|\r|\n/.exec(buf)
        if (m === null) break
        const line = buf.slice(0, m.index)
        // A lone \r at the end may be the first half of \r\n: wait for the next piece.
        if (m[0] === '\r' && m.index === buf.length - 1) break
        buf = buf.slice(m.index + m[0].length)
        if (line === '') {
          if (data.length > 0 || type !== '') yield { type: type || 'message', data: data.join('\n'), id }
          type = ''
          data = []
          continue
        }
        if (line.startsWith(':')) continue
        const colon = line.indexOf(':')
        const field = colon < 0 ? line : line.slice(0, colon)
        let v = colon < 0 ? '' : line.slice(colon + 1)
        if (v.startsWith(' ')) v = v.slice(1)
        if (field === 'event') type = v
        else if (field === 'data') data.push(v)
        else if (field === 'id' && !v.includes('\0')) id = v
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined)
  }
}
