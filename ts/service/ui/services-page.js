// @ts-check
/**
 * `#/`: the service categories with their statistics (`GET /services/stats`): files, bytes,
 * newest and oldest modification, and the error and warning counts of the service's error
 * detection.
 */
import { apiJson, query } from './api.js'
import { errorBox, formatBytes, formatTime, h } from './dom.js'

/**
 * @typedef {{ name: string, files: number, bytes: number, oldestMtime: string | null, newestMtime: string | null, errors?: number, warnings?: number }} ServiceStats
 */

/** @param {number | undefined} n */
function count(n) {
  return n === undefined ? '—' : n.toLocaleString()
}

/** @param {HTMLElement} view */
export async function renderServices(view) {
  view.replaceChildren(h('h1', {}, 'Services'), h('p', { class: 'muted' }, 'loading…'))
  try {
    /** @type {{ services: ServiceStats[] }} */
    const stats = await apiJson('/services/stats')
    const hasCounts = stats.services.some((s) => typeof s.errors === 'number')
    const rows = stats.services.map((s) =>
      h(
        'tr',
        { 'data-service': s.name },
        h('td', {}, h('a', { href: `#/service/${encodeURIComponent(s.name)}` }, s.name)),
        h('td', { class: 'num' }, s.files.toLocaleString()),
        h('td', { class: 'num' }, formatBytes(s.bytes)),
        h('td', {}, formatTime(s.newestMtime)),
        h('td', {}, formatTime(s.oldestMtime)),
        h('td', { class: s.errors ? 'num errors' : 'num' }, s.errors ? h('a', { href: `#/errors${query({ service: s.name })}` }, count(s.errors)) : count(s.errors)),
        h('td', { class: s.warnings ? 'num warnings' : 'num' }, count(s.warnings)),
        h('td', {}, h('a', { href: `#/search${query({ service: s.name })}` }, 'search')),
      ),
    )
    view.replaceChildren(
      h('h1', {}, 'Services'),
      h(
        'table',
        { class: 'grid', id: 'services' },
        h('thead', {}, h('tr', {}, ...['service', 'files', 'bytes', 'newest', 'oldest', 'errors', 'warnings', ''].map((t, i) => h('th', { class: [1, 2, 5, 6].includes(i) ? 'num' : undefined }, t)))),
        h('tbody', {}, ...rows),
      ),
      ...(hasCounts ? [] : [h('p', { class: 'muted', id: 'no-error-counts' }, 'Error and warning counts: not available on this service (it has no error detection).')]),
    )
  } catch (err) {
    view.replaceChildren(h('h1', {}, 'Services'), errorBox(err))
  }
}
