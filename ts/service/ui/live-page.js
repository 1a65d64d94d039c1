// @ts-check
/**
 * `#/live?path=`: live tail of one file over `GET /logs/stream` as Server-Sent Events. The page
 * keeps at most MAX_LIVE_LINES lines (the oldest go first), paused or not, so a busy stream
 * cannot grow the tab; lines the service dropped for a slow page (`dropped` events) and lines
 * the page let go while paused are counted on screen. A cut stream is resumed from the last
 * event id (Last-Event-ID), so nothing is shown twice.
 */
import { apiFetch, isMissingRoute, query } from './api.js'
import { errorBox, h } from './dom.js'
import { lineElement } from './lines.js'
import { sseEvents } from './sse.js'

export const MAX_LIVE_LINES = 10_000
const TAIL_LINES = 100
const RETRY_MS = [500, 1000, 2000, 5000, 10_000]

/**
 * @param {HTMLElement} view
 * @param {URLSearchParams} params
 * @returns {() => void} stops the stream
 */
export function renderLive(view, params) {
  const path = params.get('path') ?? ''
  const abort = new AbortController()
  const box = h('div', { class: 'log-box live', id: 'live-lines', tabindex: 0 })
  const conn = h('span', { class: 'conn', id: 'live-conn' }, 'connecting…')
  const counts = h('span', { class: 'muted', id: 'live-counts' })
  const pauseBtn = h('button', { type: 'button', id: 'live-pause' }, 'Pause')
  const clearBtn = h('button', { type: 'button', id: 'live-clear' }, 'Clear')
  view.replaceChildren(
    h(
      'div',
      { class: 'toolbar' },
      h('h1', { class: 'path' }, 'Live: ', h('a', { href: `#/file${query({ path })}` }, path)),
      pauseBtn,
      clearBtn,
      conn,
      counts,
    ),
    box,
  )

  let paused = false
  /** Lines (and notices) received and not yet in the page: a frame's worth, or all while paused. */
  /** @type {(string | { notice: string })[]} */
  let pending = []
  let received = 0
  let droppedByService = 0
  let droppedHere = 0
  /** @type {string | null} */
  let lastId = null
  let frame = 0

  function showCounts() {
    const parts = [`${received.toLocaleString()} lines received`, `${box.childElementCount.toLocaleString()} shown (at most ${MAX_LIVE_LINES.toLocaleString()})`]
    if (paused) parts.push(`${pending.length.toLocaleString()} waiting`)
    if (droppedHere > 0) parts.push(`${droppedHere.toLocaleString()} let go by the page`)
    if (droppedByService > 0) parts.push(`${droppedByService.toLocaleString()} dropped by the service (slow page)`)
    counts.textContent = parts.join(' · ')
    counts.dataset.received = String(received)
  }

  function flush() {
    frame = 0
    if (paused || pending.length === 0) return showCounts()
    const follow = box.scrollHeight - box.scrollTop - box.clientHeight < 40
    const frag = document.createDocumentFragment()
    for (const l of pending) frag.append(typeof l === 'string' ? lineElement(l, null) : h('div', { class: 'marker notice' }, `— ${l.notice} —`))
    pending = []
    box.append(frag)
    const extra = box.childElementCount - MAX_LIVE_LINES
    for (let i = 0; i < extra; i++) box.firstElementChild?.remove()
    if (extra > 0) droppedHere += extra
    if (follow) box.scrollTop = box.scrollHeight
    showCounts()
  }

  /** @param {string[]} lines */
  function add(lines) {
    received += lines.length
    for (const l of lines) pending.push(l)
    if (pending.length > MAX_LIVE_LINES) {
      const extra = pending.length - MAX_LIVE_LINES
      pending.splice(0, extra)
      droppedHere += extra
    }
    if (frame === 0) frame = requestAnimationFrame(flush)
  }

  pauseBtn.addEventListener('click', () => {
    paused = !paused
    pauseBtn.textContent = paused ? 'Resume' : 'Pause'
    pauseBtn.setAttribute('aria-pressed', String(paused))
    flush()
  })
  clearBtn.addEventListener('click', () => {
    box.replaceChildren()
    pending = []
    showCounts()
  })

  /** @param {string} text */
  function marker(text) {
    pending.push({ notice: text })
    if (frame === 0) frame = requestAnimationFrame(flush)
  }

  /**
   * One event of the stream (docs/tail.md): `lines` { id, lines }, `dropped` { count },
   * `rotated`, `truncated` { size }, `gap` (the resume point left the file), `end` { reason }.
   * @param {import('./sse.js').SseEvent} ev
   * @returns {boolean} false when the service ended the stream for good
   */
  function handle(ev) {
    if (ev.id !== null) lastId = ev.id
    const d = JSON.parse(ev.data)
    if (ev.type === 'lines') add(d.lines)
    else if (ev.type === 'dropped') {
      droppedByService += Number(d.count)
      marker(`${Number(d.count).toLocaleString()} lines dropped by the service (this page read too slowly); they are in the file`)
    } else if (ev.type === 'rotated') marker('file rotated: following the new file')
    else if (ev.type === 'truncated') marker(`file truncated (was ${Number(d.size).toLocaleString()} bytes): reading from its start`)
    else if (ev.type === 'gap') marker('resumed after the file changed: lines in between may be missing')
    else if (ev.type === 'end') {
      if (d.reason === 'compressed' || d.reason === 'failed') {
        conn.textContent = `stream ended: ${d.message ?? d.reason}`
        conn.dataset.state = 'failed'
        return false
      }
    }
    return true
  }

  async function run() {
    for (let attempt = 0; !abort.signal.aborted; ) {
      try {
        const headers = /** @type {Record<string, string>} */ ({ accept: 'text/event-stream' })
        if (lastId !== null) headers['last-event-id'] = lastId
        const res = await apiFetch(`/logs/stream${query({ path, tail: lastId === null ? TAIL_LINES : undefined })}`, { headers, signal: abort.signal })
        if (res.body === null) throw new Error('empty answer')
        conn.textContent = 'live'
        conn.dataset.state = 'live'
        attempt = 0
        for await (const ev of sseEvents(res.body)) if (!handle(ev)) return
        if (abort.signal.aborted) return
        conn.textContent = 'stream ended; reconnecting…'
      } catch (err) {
        if (abort.signal.aborted) return
        if (isMissingRoute(err)) {
          conn.textContent = 'Live tail is not available on this service (no /logs/stream route).'
          conn.dataset.state = 'unavailable'
          return
        }
        const e = /** @type {{ status?: number }} */ (err)
        if (e.status !== undefined && e.status >= 400 && e.status < 500 && e.status !== 429) {
          conn.dataset.state = 'failed'
          conn.replaceChildren(errorBox(err))
          return
        }
        conn.textContent = `disconnected (${/** @type {Error} */ (err).message}); reconnecting…`
      }
      conn.dataset.state = 'reconnecting'
      await new Promise((r) => setTimeout(r, RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]))
    }
  }
  showCounts()
  void run()
  return () => {
    abort.abort()
    if (frame !== 0) cancelAnimationFrame(frame)
  }
}
