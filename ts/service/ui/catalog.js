// @ts-check
/**
 * The service's file catalog as the page uses it: `GET /logs` entries, and finding the entry
 * of one path (for its size: the viewer opens at its end).
 */
import { apiJson, query } from './api.js'

/**
 * @typedef {{ service: string, source: string, name: string, path: string, sourcePath: string, size: number, mtime: string, mtimeMs: number }} FileEntry
 * @typedef {{ total: number, offset: number, limit: number, files: FileEntry[] }} FileList
 */

/**
 * A glob (the service's syntax: `*`, `?`, `[...]`, `{a,b}`) matching `text` literally.
 * @param {string} text
 */
export function literalGlob(text) {
  return text.replace(/[*?[{]/g, (c) => `[${c}]`)
}

/**
 * @param {{ service?: string, name?: string, since?: string, until?: string, limit?: number, offset?: number }} q
 * @returns {Promise<FileList>}
 */
export function listFiles(q) {
  return apiJson(`/logs${query(q)}`)
}

/**
 * The catalog entry of `path` (`categorized/<service>/...` or `logs/<source>/...`), or null.
 * @param {string} path
 * @returns {Promise<FileEntry | null>}
 */
export async function findEntry(path) {
  const segs = path.split('/')
  const name = segs[segs.length - 1] ?? ''
  const service = segs[0] === 'categorized' ? segs[1] : undefined
  const list = await listFiles({ service, name: literalGlob(name), limit: 100 })
  return list.files.find((f) => f.path === path || `logs/${f.source}/${f.sourcePath}` === path) ?? null
}

/** @param {string} name */
export function isCompressed(name) {
  return /\.(gz|zst|zstd)$/i.test(name)
}
