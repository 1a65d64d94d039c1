// @ts-check
/**
 * `GET /search` as the pages use it: one JSON page of matches and the cursor of the next.
 */
import { apiJson, query } from './api.js'

/**
 * @typedef {{ path: string, line: number, offset: number, text: string }} Match
 * @typedef {{ matches: Match[], cursor: string | null }} Page
 */

/**
 * @param {any} raw
 * @returns {Page}
 */
function pageOf(raw) {
  const items = Array.isArray(raw.matches) ? raw.matches : []
  return {
    matches: items.map((/** @type {any} */ m) => ({
      path: String(m.path),
      line: Number(typeof m.line === 'number' ? m.line : m.lineNumber),
      offset: Number(m.offset),
      text: String(typeof m.text === 'string' ? m.text : typeof m.line === 'string' ? m.line : ''),
    })),
    cursor: typeof raw.cursor === 'string' ? raw.cursor : null,
  }
}

/**
 * @param {{ q: string, regex?: boolean, ignoreCase?: boolean, service?: string, path?: string, limit: number, cursor?: string }} p
 * @returns {Promise<Page>}
 */
export async function searchPage(p) {
  return pageOf(await apiJson(`/search${query({ ...p, regex: p.regex || undefined, ignoreCase: p.ignoreCase || undefined })}`, { headers: { accept: 'application/json' } }))
}
