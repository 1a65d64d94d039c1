/**
 * Server-Sent Events read from a byte stream (a fetch body), as the WHATWG EventSource parses
 * them: `field: value` lines, events ending at a blank line, `data` lines joined with `\n`,
 * comments (`:`) ignored, CR, LF and CRLF line ends.
 */
export interface SseEvent {
  event: string
  data: string
  /** The last event id set so far in the stream (EventSource's lastEventId). */
  lastEventId: string
}

export async function* sseEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder()
  let buf = ''
  let event = ''
  let data: string[] = []
  let lastEventId = ''
  const line = (l: string): SseEvent | undefined => {
    if (l === '') {
      const e = data.length === 0 ? undefined : { event: event || 'message', data: data.join('\n'), lastEventId }
      event = ''
      data = []
      return e
    }
    if (l.startsWith(':')) return undefined
    const c = l.indexOf(':')
    const field = c < 0 ? l : l.slice(0, c)
    const value = c < 0 ? '' : l.slice(c + 1).replace(/^ /, '')
    if (field === 'event') event = value
    else if (field === 'data') data.push(value)
    else if (field === 'id' && !value.includes('\0')) lastEventId = value
    return undefined
  }
  /** The events of the complete lines in `buf`; at the end of the stream a last CR ends a line too. */
  const lines = function* (final: boolean): Generator<SseEvent> {
    let start = 0
    for (;;) {
      const m = /\r\n|\r|\n/g
      m.lastIndex = start
      const hit = m.exec(buf)
      // A lone CR at the end may be the first half of a CRLF: wait for the next chunk.
      if (hit === null || (!final && hit[0] === '\r' && hit.index === buf.length - 1)) break
      const e = line(buf.slice(start, hit.index))
      start = hit.index + hit[0].length
      if (e !== undefined) yield e
    }
    buf = buf.slice(start)
  }
  for await (const chunk of body) {
    buf += decoder.decode(chunk, { stream: true })
    yield* lines(false)
  }
  yield* lines(true)
}
