/** "Did you mean" for a mistyped option name: the closest known name, if it is close enough. */

/** Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      const row = d[i] as number[]
      const prev = d[i - 1] as number[]
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1)
      }
    }
  }
  return (d[a.length] as number[])[b.length] as number
}

/**
 * Normalised for comparison: case, '_' and '-' and a plural ending do not count (`chunk_size`
 * is `chunkSize`, `maxRetry` is `maxRetries`).
 */
const fold = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[-_]/g, '')
    .replace(/ies$/, 'y')
    .replace(/(?<=.)s$/, '')

/**
 * The known name nearest to `name`, when the distance is at most a third of its length (at
 * least 1): `retrys` -> `retries`, `bufferSzie` -> `bufferSize`, `chunksize` -> `chunkSize`,
 * `retry` -> `retries`.
 */
export function closest(name: string, known: readonly string[]): string | undefined {
  const f = fold(name)
  let best: string | undefined
  let bestScore = Math.max(1, Math.floor(f.length / 3)) + 1
  for (const k of known) {
    const score = distance(f, fold(k))
    if (score < bestScore) {
      best = k
      bestScore = score
    }
  }
  return best
}
