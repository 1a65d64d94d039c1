// @ts-check
/**
 * The web UI's entry: a hash router over the pages (the service serves one static page, so
 * every view is an address the browser can go back to or bookmark) and the sync panel.
 *   #/                          services and their statistics
 *   #/service/<name>?name=&from=&to=&offset=   a service's files
 *   #/file?path=[&at=&line=]    file viewer (at its end, or at a byte offset)
 *   #/live?path=                live tail
 *   #/search?q=&regex=&ignoreCase=&service=
 *   #/errors?service=           error events
 */
import { h } from './dom.js'
import { renderErrors } from './errors-page.js'
import { renderFiles } from './files-page.js'
import { renderLive } from './live-page.js'
import { renderSearch } from './search-page.js'
import { renderServices } from './services-page.js'
import { startSyncPanel } from './sync-panel.js'
import { renderViewer } from './viewer-page.js'

const view = /** @type {HTMLElement} */ (document.getElementById('view'))
/** Stops what the current page runs (a live stream). */
let leave = /** @type {(() => void) | undefined} */ (undefined)

function route() {
  leave?.()
  leave = undefined
  const hash = location.hash.replace(/^#/, '') || '/'
  const qi = hash.indexOf('?')
  const path = qi < 0 ? hash : hash.slice(0, qi)
  const params = new URLSearchParams(qi < 0 ? '' : hash.slice(qi + 1))
  const nav = path.startsWith('/search') ? 'search' : 'services'
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', a.getAttribute('data-nav') === nav)
  view.dataset.page = path.split('/')[1] || 'services'
  if (path === '/') return void renderServices(view)
  const svc = /^\/service\/([^/]+)$/.exec(path)
  if (svc !== null) return void renderFiles(view, decodeURIComponent(svc[1] ?? ''), params)
  if (path === '/file') return void renderViewer(view, params)
  if (path === '/live') return void (leave = renderLive(view, params))
  if (path === '/search') return void renderSearch(view, params)
  if (path === '/errors') return void renderErrors(view, params)
  view.replaceChildren(h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/' }, 'Services')))
}

window.addEventListener('hashchange', route)
startSyncPanel()
route()
