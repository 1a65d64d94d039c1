// @ts-check
/**
 * Downloading a file without holding it in the tab. Without a token a plain link does it (the
 * browser streams to disk). With one, the request needs the Authorization header, which a link
 * cannot carry: the answer is streamed into a file the user picks (File System Access API,
 * Chromium); elsewhere it goes through a Blob, after asking when the file is large.
 */
import { apiFetch, query, storedToken } from './api.js'
import { formatBytes } from './dom.js'

const BLOB_CONFIRM_BYTES = 64 * 1024 * 1024

/**
 * @param {string} path data-root path of the file
 * @param {number | undefined} size its size, when known
 */
export async function downloadFile(path, size) {
  const url = `/logs/content${query({ path, download: 1 })}`
  const name = (path.split('/').pop() ?? 'log').replace(/\.(gz|zst|zstd)$/i, '')
  const t = storedToken()
  if (t === null || t === '') {
    const a = document.createElement('a')
    a.href = url
    a.download = name
    a.click()
    return
  }
  const w = /** @type {{ showSaveFilePicker?: (o: { suggestedName: string }) => Promise<{ createWritable(): Promise<WritableStream<Uint8Array>> }> }} */ (
    /** @type {unknown} */ (window)
  )
  if (typeof w.showSaveFilePicker === 'function') {
    const handle = await w.showSaveFilePicker({ suggestedName: name })
    const res = await apiFetch(url)
    if (res.body === null) throw new Error('empty answer')
    await res.body.pipeTo(await handle.createWritable())
    return
  }
  if (size !== undefined && size > BLOB_CONFIRM_BYTES && !confirm(`This browser keeps a download made with a token in memory (${formatBytes(size)}). Go on?`)) return
  const res = await apiFetch(url)
  const blobUrl = URL.createObjectURL(await res.blob())
  const a = document.createElement('a')
  a.href = blobUrl
  a.download = name
  a.click()
  setTimeout(() => URL.revokeObjectURL(blobUrl), 60_000)
}
