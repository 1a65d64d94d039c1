// The byte-level pieces of the live tail: complete lines out of arbitrary pieces (the follower's
// splitter, cut at maxLineBytes) and the SSE parser `logferry tail URL` reads the stream with
// (line ends split across chunks, CRLF and CR, comments, multi-line data, ids).
import { describe, expect, it } from 'vitest'
import { sseEvents, type SseEvent } from '../../ts/cli/sse-events.js'
import { LineSplitter } from '../../ts/service/tail/line-splitter.js'

describe('LineSplitter', () => {
  it('passes complete lines only, whatever the pieces, and counts their bytes', () => {
    const text = 'héllo\nwörld\r\n\nlast'
    const bytes = Buffer.from(text)
    for (let cut = 1; cut < bytes.length; cut++) {
      const s = new LineSplitter(1024)
      const a = s.push(bytes.subarray(0, cut))
      const b = s.push(bytes.subarray(cut))
      expect([...a.lines, ...b.lines]).toEqual(['héllo', 'wörld\r', ''])
      expect(a.bytes + b.bytes).toBe(Buffer.byteLength('héllo\nwörld\r\n\n'))
      expect(s.pending).toBe(4)
      expect(s.flush()).toBe('last')
      expect(s.pending).toBe(0)
    }
  })

  it('cuts a line longer than maxLineBytes into lines of that size', () => {
    const s = new LineSplitter(10)
    const r = s.push(Buffer.from('a'.repeat(25)))
    expect(r.lines).toEqual(['a'.repeat(10), 'a'.repeat(10)])
    expect(r.bytes).toBe(20)
    expect(s.push(Buffer.from('b\n')).lines).toEqual(['aaaaab'])
  })
})

describe('sseEvents', () => {
  async function parse(chunks: string[]): Promise<SseEvent[]> {
    const out: SseEvent[] = []
    async function* src(): AsyncGenerator<Uint8Array> {
      for (const c of chunks) yield Buffer.from(c)
    }
    for await (const e of sseEvents(src())) out.push(e)
    return out
  }

  it('parses as EventSource does, however the bytes are cut', async () => {
    const stream = 'retry: 2000\n\n: ping\n\nid: 12-abc\nevent: lines\ndata: {"a":1}\n\nevent: dropped\r\ndata: x\r\ndata: y\r\n\r\ndata: plain\rid: 20-z\r\r'
    const want = [
      { event: 'lines', data: '{"a":1}', lastEventId: '12-abc' },
      { event: 'dropped', data: 'x\ny', lastEventId: '12-abc' },
      { event: 'message', data: 'plain', lastEventId: '20-z' },
    ]
    expect(await parse([stream])).toEqual(want)
    for (let cut = 1; cut < stream.length; cut++) expect(await parse([stream.slice(0, cut), stream.slice(cut)])).toEqual(want)
  })
})
