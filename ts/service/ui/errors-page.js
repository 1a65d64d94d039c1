// @ts-check
/**
 * `#/errors?service=`: the error events the service's error detection found (`GET /errors`),
 * newest first: time, level, signature, file and line. An event opens the file at its line.
 */
import { apiJson, isMissingRoute, query } from './api.js'
import { errorBox, formatTime, h } from './dom.js'

const PAGE = 200

/**
 * @typedef {{ service: string, source: string, path: string, sourcePath: string, line: number, level: string, signature: string | null, text: string, time: string }} ErrorEvent
 */

/**
 * @param {HTMLElement} view
 * @param {URLSearchParams} params
 */
export async function renderErrors(view, params) {
  const service = params.get('service') ?? ''
  const title = h('h1', {}, h('a', { href: '#/' }, 'Services'), ' / ', service === '' ? 'errors' : `${service}: errors`)
  const body = h('div', {}, h('p', { class: 'muted' }, 'loading…'))
  view.replaceChildren(title, body)
  try {
    /** @type {{ total: number, events: ErrorEvent[] }} */
    const list = await apiJson(`/errors${query({ service: service || undefined, limit: PAGE })}`)
    const rows = list.events.map((e) =>
      h(
        'tr',
        { class: `lvl-${e.level}` },
        h('td', {}, formatTime(e.time)),
        h('td', {}, e.level),
        h('td', {}, e.signature ?? ''),
        h('td', {}, h('a', { href: `#/file${query({ path: e.path, line: e.line, find: e.text })}`, class: 'open-event' }, `${e.source}/${e.sourcePath}:${e.line}`)),
        h('td', { class: 'text' }, h('code', {}, e.text.length > 500 ? `${e.text.slice(0, 500)} …` : e.text)),
      ),
    )
    body.replaceChildren(
      h('p', { class: 'muted' }, `${list.total.toLocaleString()} event${list.total === 1 ? '' : 's'}${list.total > list.events.length ? `, the newest ${list.events.length} shown` : ''}`),
      h(
        'table',
        { class: 'grid', id: 'errors' },
        h('thead', {}, h('tr', {}, ...['time', 'level', 'signature', 'file', 'line'].map((t) => h('th', {}, t)))),
        h('tbody', {}, ...rows),
      ),
    )
  } catch (err) {
    if (isMissingRoute(err)) body.replaceChildren(h('p', { id: 'errors-unavailable' }, 'Error detection is not available on this service (no /errors route).'))
    else body.replaceChildren(errorBox(err))
  }
}
