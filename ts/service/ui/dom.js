// @ts-check
/**
 * Building DOM nodes. Text always goes in as text nodes (never innerHTML): a log line or a file
 * name is shown, never parsed.
 */

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string | number | boolean | EventListener | undefined>} [attrs]
 * @param {...(Node | string | number | null | undefined | false)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v)
    else if (k === 'class') el.className = String(v)
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'number' ? String(c) : c)
  return el
}

/** @param {number} n */
export function formatBytes(n) {
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`
}

/** @param {string | null | undefined} iso */
export function formatTime(iso) {
  if (!iso) return '—'
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString()
}

/** @param {number} ms */
export function formatAgo(ms) {
  const s = Math.round(ms / 1000)
  if (Math.abs(s) < 60) return `${s}s`
  const m = Math.round(s / 60)
  if (Math.abs(m) < 60) return `${m}min`
  return `${Math.round(m / 60)}h`
}

/**
 * A message box for an error, in the view.
 * @param {unknown} err
 */
export function errorBox(err) {
  const e = /** @type {{ code?: string, message?: string }} */ (err)
  return h('div', { class: 'error-box', role: 'alert' }, e && e.code ? `${e.code}: ` : '', e && e.message ? e.message : String(err))
}
