// @ts-check
/**
 * The header's sync status (`GET /status`, every 5 s while the tab is visible, every second
 * while a sync runs) and its "Sync now" button (`POST /sync/trigger`: starts a sync or joins
 * the running one; the panel then follows it by id until /status reports it done).
 */
import { apiJson } from './api.js'
import { formatAgo } from './dom.js'

const IDLE_POLL_MS = 5000
const BUSY_POLL_MS = 1000

/**
 * @typedef {{ id: string, trigger: string, outcome: string, startedAt: string, finishedAt: string, durationMs: number, filesTransferred: number, bytesTransferred: number, filesCategorized: number, sources: { name: string, outcome: string, error?: { code: string, message: string } }[] }} SyncResult
 * @typedef {{ syncing: string | null, syncCount: number, lastSync?: SyncResult, nextSyncAt?: string, syncInterval: number }} Status
 */

export function startSyncPanel() {
  const state = /** @type {HTMLElement} */ (document.getElementById('sync-state'))
  const button = /** @type {HTMLButtonElement} */ (document.getElementById('sync-now'))
  /** The sync this page triggered and waits for. */
  let awaited = /** @type {string | null} */ (null)
  let timer = /** @type {ReturnType<typeof setTimeout> | undefined} */ (undefined)

  /** @param {Status} s */
  function show(s) {
    const last = s.lastSync
    const parts = []
    if (s.syncing !== null) parts.push(`syncing (${s.syncing})…`)
    if (last !== undefined) {
      const failed = last.sources.filter((x) => x.error !== undefined).map((x) => `${x.name}: ${x.error?.code}`)
      parts.push(
        `last sync ${last.outcome} ${formatAgo(Date.now() - Date.parse(last.finishedAt))} ago, ${last.filesTransferred} file${last.filesTransferred === 1 ? '' : 's'}` + (failed.length > 0 ? ` (${failed.join(', ')})` : ''),
      )
    } else if (s.syncing === null) parts.push('no sync yet')
    if (s.nextSyncAt !== undefined && s.syncing === null) parts.push(`next in ${formatAgo(Math.max(0, Date.parse(s.nextSyncAt) - Date.now()))}`)
    if (awaited !== null && s.syncing !== awaited && last?.id === awaited) {
      parts.unshift(`sync ${awaited} done: ${last.outcome}`)
      state.dataset.done = awaited
      awaited = null
      button.disabled = false
    }
    state.textContent = parts.join(' · ')
    state.dataset.outcome = s.syncing !== null ? 'running' : (last?.outcome ?? 'none')
    state.dataset.syncCount = String(s.syncCount)
  }

  /** Only the latest poll schedules the next one (a click polls at once, between two). */
  let generation = 0

  async function poll() {
    clearTimeout(timer)
    const mine = ++generation
    let busy = false
    try {
      /** @type {Status} */
      const s = await apiJson('/status')
      busy = s.syncing !== null || awaited !== null
      show(s)
    } catch (err) {
      state.textContent = `status unavailable: ${/** @type {Error} */ (err).message}`
      state.dataset.outcome = 'error'
    }
    if (mine !== generation || document.visibilityState === 'hidden') return
    timer = setTimeout(() => void poll(), busy ? BUSY_POLL_MS : IDLE_POLL_MS)
  }

  button.addEventListener('click', async () => {
    button.disabled = true
    try {
      /** @type {{ id: string, joined: boolean }} */
      const t = await apiJson('/sync/trigger', { method: 'POST' })
      awaited = t.id
      state.dataset.triggered = t.id
      state.textContent = t.joined ? `joined the running sync ${t.id}…` : `sync ${t.id} started…`
    } catch (err) {
      button.disabled = false
      state.textContent = `sync not started: ${/** @type {Error} */ (err).message}`
    }
    void poll()
  })
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') void poll()
  })
  void poll()
}
