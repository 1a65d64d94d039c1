// @ts-check
/**
 * The page's one way to call the service: same-origin fetch with the bearer token. The token is
 * asked for once, on the first 401, and kept in sessionStorage (this tab only, gone when it
 * closes); a token the service refuses is asked for again.
 */

const TOKEN_KEY = 'logferry.token'

/** An answer of the API that is not a success: its HTTP status and `{ error: { code, message } }`. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
  }
}

/** @returns {string | null} */
export function storedToken() {
  return sessionStorage.getItem(TOKEN_KEY)
}

/** @type {Promise<string> | null} */
let asking = null

/**
 * Shows the token dialog (one at a time, whoever asks) and resolves with what was typed.
 * @param {string} reason
 * @returns {Promise<string>}
 */
function askToken(reason) {
  if (asking !== null) return asking
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById('token-dialog'))
  const input = /** @type {HTMLInputElement} */ (document.getElementById('token-input'))
  const why = /** @type {HTMLElement} */ (document.getElementById('token-reason'))
  why.textContent = reason
  input.value = ''
  asking = new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => {
        asking = null
        const t = input.value.trim()
        sessionStorage.setItem(TOKEN_KEY, t)
        resolve(t)
      },
      { once: true },
    )
  })
  dialog.showModal()
  input.focus()
  return asking
}

/** @returns {Record<string, string>} */
export function authHeaders() {
  const t = storedToken()
  return t === null || t === '' ? {} : { authorization: `Bearer ${t}` }
}

/**
 * @param {Response} res
 * @returns {Promise<ApiError>}
 */
async function errorOf(res) {
  let code = `HTTP_${res.status}`
  let message = res.statusText || `HTTP ${res.status}`
  try {
    const body = await res.json()
    if (body && body.error) {
      code = String(body.error.code)
      message = String(body.error.message)
    }
  } catch {
    // Not the API's error shape (a proxy's page): status and text are what there is.
  }
  return new ApiError(res.status, code, message)
}

/**
 * fetch() against the service: adds the token, asks for one on a 401 and retries, turns any
 * other non-2xx into an ApiError.
 * @param {string} path path and query, e.g. `/status`
 * @param {RequestInit} [init]
 * @returns {Promise<Response>}
 */
export async function apiFetch(path, init = {}) {
  for (let round = 0; ; round++) {
    const headers = { ...authHeaders(), .../** @type {Record<string, string>} */ (init.headers ?? {}) }
    const res = await fetch(path, { ...init, headers, cache: 'no-store' })
    if (res.status === 401) {
      await res.body?.cancel()
      await askToken(storedToken() === null ? 'This service asks for a bearer token.' : 'The service refused this token: give it again.')
      continue
    }
    if (!res.ok) throw await errorOf(res)
    return res
  }
}

/**
 * @param {string} path
 * @param {RequestInit} [init]
 * @returns {Promise<any>}
 */
export async function apiJson(path, init = {}) {
  const res = await apiFetch(path, { ...init, headers: { accept: 'application/json', .../** @type {Record<string, string>} */ (init.headers ?? {}) } })
  return res.json()
}

/**
 * A query string from the defined values of `params`.
 * @param {Record<string, string | number | boolean | undefined | null>} params
 */
export function query(params) {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  const s = q.toString()
  return s === '' ? '' : `?${s}`
}

/**
 * True when the route exists on this service (a route added later may not be there yet:
 * an older service answers 404 ERR_NOT_FOUND "no route").
 * @param {unknown} err
 */
export function isMissingRoute(err) {
  return err instanceof ApiError && err.status === 404 && /^no route /.test(err.message)
}
