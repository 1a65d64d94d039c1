// @ts-check
/**
 * `#/service/<name>?name=&since=&until=&offset=`: a service's files (`GET /logs`), newest first,
 * filtered by a part of the name and a range of modification dates, a page at a time.
 */
import { query } from './api.js'
import { listFiles, literalGlob } from './catalog.js'
import { errorBox, formatBytes, formatTime, h } from './dom.js'

const PAGE = 100

/**
 * A date input's value (a local day) as the instant it starts, ISO.
 * @param {string} day `YYYY-MM-DD`
 * @param {number} plusDays
 */
function dayStart(day, plusDays) {
  const [y, m, d] = day.split('-').map(Number)
  return new Date(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + plusDays).toISOString()
}

/**
 * @param {HTMLElement} view
 * @param {string} service
 * @param {URLSearchParams} params
 */
export async function renderFiles(view, service, params) {
  const name = params.get('name') ?? ''
  const from = params.get('from') ?? ''
  const to = params.get('to') ?? ''
  const offset = Number(params.get('offset') ?? 0) || 0
  const nameInput = h('input', { type: 'search', name: 'name', value: name, placeholder: 'part of the name', id: 'filter-name' })
  const fromInput = h('input', { type: 'date', name: 'from', value: from, id: 'filter-from' })
  const toInput = h('input', { type: 'date', name: 'to', value: to, id: 'filter-to' })
  /** @param {number} off */
  const href = (off) => `#/service/${encodeURIComponent(service)}${query({ name: nameInput.value, from: fromInput.value, to: toInput.value, offset: off || undefined })}`
  const form = h(
    'form',
    { class: 'filters', id: 'file-filters' },
    h('label', {}, 'name ', nameInput),
    h('label', {}, 'modified from ', fromInput),
    h('label', {}, 'to ', toInput),
    h('button', { type: 'submit' }, 'Filter'),
  )
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    location.hash = href(0)
  })
  const body = h('div', {}, h('p', { class: 'muted' }, 'loading…'))
  view.replaceChildren(h('h1', {}, h('a', { href: '#/' }, 'Services'), ' / ', service), form, body)
  try {
    const list = await listFiles({
      service,
      name: name === '' ? undefined : `*${literalGlob(name)}*`,
      // The date inputs are whole local days: `to` includes its day.
      since: from === '' ? undefined : dayStart(from, 0),
      until: to === '' ? undefined : dayStart(to, 1),
      limit: PAGE,
      offset,
    })
    const rows = list.files.map((f) =>
      h(
        'tr',
        { 'data-path': f.path },
        h('td', {}, h('a', { href: `#/file${query({ path: f.path })}`, class: 'open-file' }, f.name)),
        h('td', { class: 'muted' }, `${f.source}/${f.sourcePath}`),
        h('td', { class: 'num' }, formatBytes(f.size)),
        h('td', {}, formatTime(f.mtime)),
        h('td', {}, h('a', { href: `#/live${query({ path: f.path })}` }, 'live')),
      ),
    )
    const nav = h(
      'p',
      { class: 'pager' },
      `${list.total === 0 ? 0 : offset + 1}–${offset + list.files.length} of ${list.total.toLocaleString()} file${list.total === 1 ? '' : 's'} `,
      offset > 0 ? h('a', { href: href(Math.max(0, offset - PAGE)) }, '← newer') : null,
      ' ',
      offset + list.files.length < list.total ? h('a', { href: href(offset + PAGE) }, 'older →') : null,
    )
    body.replaceChildren(
      h(
        'table',
        { class: 'grid', id: 'files' },
        h('thead', {}, h('tr', {}, ...['file', 'source path', 'size', 'modified', ''].map((t) => h('th', {}, t)))),
        h('tbody', {}, ...rows),
      ),
      nav,
    )
  } catch (err) {
    body.replaceChildren(errorBox(err))
  }
}
