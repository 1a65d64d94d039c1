// @ts-check
/**
 * `GET /search` as the pages use it: one JSON page of matches and the cursor of the next.
 */
import { apiJson, query } from './api.js'

/**
 * A match as the page uses it (the API's `{ path, lineNumber, offset, line }`).
 * @typedef {{ path: string, line: number, offset: number, text: string }} Match
 * @typedef {{ matches: Match[], cursor: string | null, errors: { path: string, code: string, message: string }[] }} Page
 */

/**
 * @param {{ matches: { path: string, lineNumber: number, offset: number, line: string }[], cursor: string | null, errors?: { path: string, code: string, message: string }[] }} raw
 * @returns {Page}
 */
function pageOf(raw) {
  return {
    matches: raw.matches.map((m) => ({ path: m.path, line: m.lineNumber, offset: m.offset, text: m.line })),
    cursor: raw.cursor,
    errors: raw.errors ?? [],
  }
}

/**
 * @param {{ q: string, regex?: boolean, ignoreCase?: boolean, service?: string, path?: string, limit: number, cursor?: string }} p
 * @returns {Promise<Page>}
 */
export async function searchPage(p) {
  return pageOf(await apiJson(`/search${query({ ...p, regex: p.regex ? 1 : undefined, ignoreCase: p.ignoreCase ? 1 : undefined })}`, { headers: { accept: 'application/json' } }))
}
