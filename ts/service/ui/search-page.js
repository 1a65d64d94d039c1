// @ts-check
/**
 * `#/search?q=&regex=1&ignoreCase=1&service=`: `GET /search` as JSON pages (the cursor of one
 * page asks for the next); a result opens the file at the matching line (its byte offset).
 * A service without the search route says so.
 */
import { apiJson, isMissingRoute, query } from './api.js'
import { searchPage } from './search-api.js'
import { errorBox, h } from './dom.js'

const PAGE = 100

/**
 * The line with the matched text marked (as text nodes: the line is never parsed as HTML).
 * @param {string} text
 * @param {string} q
 * @param {boolean} regex
 * @param {boolean} ignoreCase
 */
function marked(text, q, regex, ignoreCase) {
  const shown = text.length > 2000 ? `${text.slice(0, 2000)} …` : text
  let re
  try {
    re = new RegExp(regex ? q : q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), ignoreCase ? 'i' : '')
  } catch {
    return h('code', {}, shown)
  }
  const m = re.exec(shown)
  if (m === null || m[0] === '') return h('code', {}, shown)
  return h('code', {}, shown.slice(0, m.index), h('mark', {}, m[0]), shown.slice(m.index + m[0].length))
}

/**
 * @param {HTMLElement} view
 * @param {URLSearchParams} params
 */
export async function renderSearch(view, params) {
  const q = params.get('q') ?? ''
  const regex = params.get('regex') === '1'
  const ignoreCase = params.get('ignoreCase') === '1'
  const service = params.get('service') ?? ''
  const qInput = h('input', { type: 'search', name: 'q', value: q, placeholder: regex ? 'regular expression' : 'text', id: 'search-q', required: true })
  const reInput = h('input', { type: 'checkbox', name: 'regex', checked: regex, id: 'search-regex' })
  const icInput = h('input', { type: 'checkbox', name: 'ignoreCase', checked: ignoreCase, id: 'search-ic' })
  const svcInput = h('select', { name: 'service', id: 'search-service' }, h('option', { value: '' }, 'all services'))
  // The categories to choose from; the one asked for stays chosen even before they arrive.
  if (service !== '') svcInput.append(h('option', { value: service, selected: true }, service))
  void apiJson('/services')
    .then((/** @type {{ services: { name: string }[] }} */ r) => {
      for (const s of r.services) if (s.name !== service) svcInput.append(h('option', { value: s.name }, s.name))
    })
    .catch(() => undefined)
  const form = h(
    'form',
    { class: 'filters', id: 'search-form' },
    qInput,
    h('label', {}, reInput, ' regex'),
    h('label', {}, icInput, ' ignore case'),
    h('label', {}, 'service ', svcInput),
    h('button', { type: 'submit' }, 'Search'),
  )
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    location.hash = `#/search${query({ q: qInput.value, regex: reInput.checked ? 1 : undefined, ignoreCase: icInput.checked ? 1 : undefined, service: svcInput.value })}`
  })
  const results = h('ol', { class: 'results', id: 'search-results' })
  const status = h('p', { class: 'muted', id: 'search-status' })
  view.replaceChildren(h('h1', {}, 'Search'), form, status, results)
  if (q === '') return

  /** @param {string | null} cursor */
  async function more(cursor) {
    status.textContent = 'searching…'
    try {
      const page = await searchPage({ q, regex, ignoreCase, service: service || undefined, limit: PAGE, cursor: cursor ?? undefined })
      for (const m of page.matches)
        results.append(
          h(
            'li',
            { class: 'result' },
            h('a', { href: `#/file${query({ path: m.path, at: m.offset, line: m.line })}`, class: 'open-hit' }, `${m.path}:${m.line}`),
            ' ',
            marked(m.text, q, regex, ignoreCase),
          ),
        )
      const n = results.childElementCount
      status.textContent = n === 0 ? 'no match' : `${n.toLocaleString()} match${n === 1 ? '' : 'es'}${page.cursor === null ? '' : ' (more below)'}`
      for (const e of page.errors) status.append(h('div', { class: 'error-box' }, `${e.path}: ${e.code}: ${e.message} (searched up to there)`))
      if (page.cursor !== null) {
        const c = page.cursor
        const btn = h('button', { type: 'button', id: 'search-more', onclick: () => (btn.remove(), void more(c)) }, 'more')
        status.append(' ', btn)
      }
    } catch (err) {
      if (isMissingRoute(err)) status.replaceChildren(h('span', { id: 'search-unavailable' }, 'Search is not available on this service (no /search route).'))
      else status.replaceChildren(errorBox(err))
    }
  }
  await more(null)
}
