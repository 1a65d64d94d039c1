/**
 * `logferry search PATTERN [PATH...]`: ripgrep-like output of the native search (docs/search.md).
 * Lines are `path:line:text`, context lines `path-line-text` with `--` between groups; files
 * newest first. PATTERN is a regular expression (as ripgrep's), `-F` makes it a literal.
 * Exit status (ripgrep's): 0 a line matched, 1 none matched, 2 an error (bad usage or pattern,
 * a file that could not be read), even when lines matched.
 */
import { parseArgs } from 'node:util'
import { searchLogs, type SearchFileError, type SearchMatch } from '../search/search-logs.js'

export const SEARCH_USAGE = `usage: logferry search [options] PATTERN [PATH...]
  the lines of the files under PATH (default .) matching PATTERN, newest file first;
  .gz and .zst files are decoded; names starting with '.' are skipped inside directories
options:
  -F, --fixed-strings     PATTERN is a literal, not a regular expression
  -i, --ignore-case       Unicode case-insensitive
  -m, --limit N           stop after N matching lines in all
  -C, --context N         N lines before and after each match
  -B, --before-context N  -A, --after-context N
  -j, --threads N         files searched at once (default: the cores)
exit status: 0 a line matched, 1 none, 2 an error`

const OPTIONS = {
  'fixed-strings': { type: 'boolean', short: 'F' },
  'ignore-case': { type: 'boolean', short: 'i' },
  limit: { type: 'string', short: 'm' },
  context: { type: 'string', short: 'C' },
  'before-context': { type: 'string', short: 'B' },
  'after-context': { type: 'string', short: 'A' },
  threads: { type: 'string', short: 'j' },
  help: { type: 'boolean', short: 'h' },
} as const

function usageError(msg: string): number {
  process.stderr.write(`logferry search: ${msg}\n${SEARCH_USAGE}\n`)
  return 2
}

function count(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  if (!/^\d+$/.test(v)) throw new Error(`--${name} must be a non-negative integer, got '${v}'`)
  return Number(v)
}

/** Writes with back-pressure; resolves false once stdout is gone (EPIPE: `| head`). */
class Output {
  private buf = ''
  private closed = false
  constructor() {
    process.stdout.on('error', () => (this.closed = true))
  }
  get gone(): boolean {
    return this.closed
  }
  add(s: string): void {
    this.buf += s
  }
  async flush(): Promise<void> {
    if (this.buf === '' || this.closed) return
    const ok = process.stdout.write(this.buf)
    this.buf = ''
    if (!ok && !this.closed) await new Promise((r) => process.stdout.once('drain', r))
  }
}

/** Context printing: each line once, `--` where lines were skipped (as ripgrep). */
class ContextPrinter {
  private path: string | undefined
  private last = 0
  private pending: { n: number; text: string }[] = []
  private any = false
  constructor(private readonly out: Output) {}

  private line(n: number, text: string, sep: ':' | '-'): void {
    if (n <= this.last) return
    if (this.any && (this.last === 0 || n > this.last + 1)) this.out.add('--\n')
    this.any = true
    this.out.add(`${this.path}${sep}${n}${sep}${text}\n`)
    this.last = n
  }

  private drain(upTo: number): void {
    for (const p of this.pending) if (p.n < upTo) this.line(p.n, p.text, '-')
    this.pending = this.pending.filter((p) => p.n >= upTo)
  }

  match(m: SearchMatch): void {
    if (m.path !== this.path) {
      this.drain(Infinity)
      this.path = m.path
      this.last = 0
    }
    this.drain(m.lineNumber)
    const before = m.before ?? []
    before.forEach((t, i) => this.line(m.lineNumber - before.length + i, t, '-'))
    this.line(m.lineNumber, m.line, ':')
    this.pending = (m.after ?? []).map((text, i) => ({ n: m.lineNumber + 1 + i, text }))
  }

  end(): void {
    this.drain(Infinity)
  }
}

export async function searchCommand(args: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (err) {
    return usageError((err as Error).message)
  }
  const v = parsed.values
  if (v.help) {
    process.stdout.write(`${SEARCH_USAGE}\n`)
    return 0
  }
  const [pattern, ...paths] = parsed.positionals
  if (pattern === undefined) return usageError('PATTERN is missing')
  let limit, context, before, after, threads
  try {
    limit = count('limit', v.limit)
    context = count('context', v.context)
    before = count('before-context', v['before-context'])
    after = count('after-context', v['after-context'])
    threads = count('threads', v.threads)
  } catch (err) {
    return usageError((err as Error).message)
  }
  const out = new Output()
  const withContext = (before ?? context ?? 0) > 0 || (after ?? context ?? 0) > 0
  const printer = new ContextPrinter(out)
  let matched = false
  let failed = false
  const onError = (e: SearchFileError): void => {
    failed = true
    process.stderr.write(`logferry search: ${e.message} (${e.code})\n`)
  }
  try {
    const results = searchLogs({
      pattern,
      paths: paths.length === 0 ? ['.'] : paths,
      regex: v['fixed-strings'] !== true,
      ignoreCase: v['ignore-case'] === true,
      limit,
      context,
      before,
      after,
      threads: threads === 0 ? undefined : threads,
      onError,
    })
    let n = 0
    for await (const m of results) {
      matched = true
      if (withContext) printer.match(m)
      else out.add(`${m.path}:${m.lineNumber}:${m.line}\n`)
      if (++n % 256 === 0) {
        await out.flush()
        if (out.gone) break
      }
    }
    printer.end()
    await out.flush()
  } catch (err) {
    const e = err as Error & { code?: string }
    process.stderr.write(`logferry search: ${e.message}${e.code ? ` (${e.code})` : ''}\n`)
    return 2
  }
  return failed ? 2 : matched ? 0 : 1
}
