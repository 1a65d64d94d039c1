/** Glob patterns to regular expressions, and the literal directory a pattern starts from. */
function escapeRe(ch: string): string {
  return /[.+^${}()|[\]\\/]/.test(ch) ? `\\${ch}` : ch
}

export function globToRegExp(pattern: string): RegExp {
  let re = ''
  let inGroup = 0
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        const slashAfter = pattern[i + 2] === '/'
        re += slashAfter ? '(?:.*/)?' : '.*'
        i += slashAfter ? 2 : 1
      } else re += '[^/]*'
    } else if (c === '?') re += '[^/]'
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 1)
      if (close < 0) re += '\\['
      else {
        let body = pattern.slice(i + 1, close)
        if (body.startsWith('!')) body = `^${body.slice(1)}`
        re += `[${body.replace(/\\/g, '\\\\')}]`
        i = close
      }
    } else if (c === '{') {
      inGroup++
      re += '(?:'
    } else if (c === '}' && inGroup > 0) {
      inGroup--
      re += ')'
    } else if (c === ',' && inGroup > 0) re += '|'
    else re += escapeRe(c)
  }
  return new RegExp(`^${re}$`)
}

/** The longest leading run of path components without glob syntax. */
export function globBase(pattern: string): string {
  const parts = pattern.split('/')
  const lit: string[] = []
  for (const p of parts.slice(0, -1)) {
    if (/[*?[{]/.test(p)) break
    lit.push(p)
  }
  return lit.join('/')
}
