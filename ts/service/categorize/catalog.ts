/**
 * The catalog of mirrored files and their categories, and its materialisation as hard links
 * `<data>/categorized/<category>/<source>/<path>` (a copy only where a hard link cannot be made:
 * another filesystem). A full reconcile at start (rules may have changed since the last run);
 * afterwards only the files a sync changed are looked at again.
 */
import { copyFile, link, lstat, mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises'
import { basename, dirname, join, sep } from 'node:path'
import { globToRegExp } from '../../storage/glob.js'
import type { CategoryInfo, FileEntry, FileList, FileQuery } from '../types.js'
import type { Categorizer } from './rules.js'

interface Entry {
  source: string
  /** `/`-separated, relative to the source's mirror root. */
  sourcePath: string
  service: string
  size: number
  mtimeMs: number
  ino: number
}

/** Names the mirror never holds as logs: rsync's partial dir and temp files, dot files. */
export function isHiddenPath(rel: string): boolean {
  return rel.split('/').some((seg) => seg.startsWith('.'))
}

const toPosix = (p: string): string => (sep === '/' ? p : p.split(sep).join('/'))

async function* walk(root: string, rel = ''): AsyncGenerator<string> {
  let ents
  try {
    ents = await readdir(join(root, rel), { withFileTypes: true })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return
    throw e
  }
  for (const d of ents) {
    if (d.name.startsWith('.')) continue
    const r = rel === '' ? d.name : `${rel}/${d.name}`
    if (d.isDirectory()) yield* walk(root, r)
    else if (d.isFile()) yield r
  }
}

export interface CatalogOptions {
  logsDir: string
  categorizedDir: string
  categorizer: Categorizer
  onWarning?: (msg: string, fields: Record<string, unknown>) => void
}

export class Catalog {
  readonly #o: CatalogOptions
  readonly #entries = new Map<string, Entry>()
  #sorted: Entry[] | undefined
  #categoryInfo: CategoryInfo[] | undefined

  constructor(o: CatalogOptions) {
    this.#o = o
  }

  get size(): number {
    return this.#entries.size
  }

  #changed(): void {
    this.#sorted = undefined
    this.#categoryInfo = undefined
  }

  #linkPath(e: Pick<Entry, 'service' | 'source' | 'sourcePath'>): string {
    return join(this.#o.categorizedDir, e.service, e.source, ...e.sourcePath.split('/'))
  }

  /** Directories already made under categorized/ (one mkdir per directory, not per file). */
  readonly #made = new Set<string>()

  /**
   * Makes `dst` the same inode as `src`: a new name is linked directly, an existing one is
   * replaced atomically (link to a temp name, rename over). A copy where no hard link can be made.
   */
  async #materialize(src: string, dst: string, exists: boolean): Promise<void> {
    const dir = dirname(dst)
    if (!this.#made.has(dir)) {
      await mkdir(dir, { recursive: true })
      this.#made.add(dir)
    }
    const place = async (to: string): Promise<void> => {
      try {
        await link(src, to)
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code
        if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP') throw e
        await copyFile(src, to)
      }
    }
    if (!exists) {
      try {
        return await place(dst)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      }
    }
    const tmp = join(dir, `.${basename(dst)}.lf-${process.pid}-${(this.#tmpSeq++).toString(36)}`)
    await place(tmp)
    await rename(tmp, dst)
  }

  #tmpSeq = 0

  async #unlinkCategorized(e: Pick<Entry, 'service' | 'source' | 'sourcePath'>): Promise<void> {
    const p = this.#linkPath(e)
    await rm(p, { force: true })
    // Empty directories left behind go too, up to the category directory.
    let dir = dirname(p)
    const stop = join(this.#o.categorizedDir, e.service)
    while (dir.startsWith(stop) && dir !== stop) {
      try {
        await rmdir(dir)
        this.#made.delete(dir)
      } catch {
        break
      }
      dir = dirname(dir)
    }
  }

  /**
   * Looks at one mirrored file again: (re)categorises and (re)links it, or forgets it when it
   * is gone. Returns true when its link was (re)made.
   */
  async update(source: string, sourcePath: string): Promise<boolean> {
    if (isHiddenPath(sourcePath)) return false
    const key = `${source}/${sourcePath}`
    const abs = join(this.#o.logsDir, source, ...sourcePath.split('/'))
    const old = this.#entries.get(key)
    let st
    try {
      st = await stat(abs)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
      if (old) {
        await this.#unlinkCategorized(old)
        this.#entries.delete(key)
        this.#changed()
      }
      return false
    }
    if (!st.isFile()) return false
    const service = this.#o.categorizer.categorize(basename(sourcePath))
    const entry: Entry = { source, sourcePath, service, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino }
    if (old && old.service !== service) await this.#unlinkCategorized(old)
    const dst = this.#linkPath(entry)
    let same = false
    let exists = false
    try {
      const d = await lstat(dst)
      exists = true
      same = d.ino === st.ino && d.dev === st.dev
    } catch {
      same = false
    }
    if (!same) await this.#materialize(abs, dst, exists)
    this.#entries.set(key, entry)
    this.#changed()
    return !same
  }

  /** `update` for many files of one source, a few at a time; the number (re)linked. */
  async updateMany(source: string, paths: readonly string[], concurrency = 16): Promise<number> {
    let linked = 0
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < paths.length) {
        const p = paths[next++] as string
        if (await this.update(source, p)) linked++
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker))
    return linked
  }

  /**
   * Every mirrored file against the current rules, and every categorised file against the
   * catalog: links a file lacks are made, links in a category a file left are removed.
   */
  async reconcile(sources: readonly string[]): Promise<number> {
    let linked = 0
    for (const source of sources) {
      const rels: string[] = []
      for await (const rel of walk(join(this.#o.logsDir, source))) rels.push(rel)
      linked += await this.updateMany(source, rels)
    }
    for (const service of await readdir(this.#o.categorizedDir).catch(() => [] as string[])) {
      if (service.startsWith('.')) continue
      for (const source of await readdir(join(this.#o.categorizedDir, service)).catch(() => [] as string[])) {
        for await (const rel of walk(join(this.#o.categorizedDir, service, source))) {
          const e = this.#entries.get(`${source}/${rel}`)
          if (e?.service === service) continue
          if (e === undefined) {
            // Its mirrored file is gone: the categorised copy may be the last one; keep it.
            this.#o.onWarning?.('categorised file without a mirrored file, left in place', { path: toPosix(join('categorized', service, source, rel)) })
            continue
          }
          await this.#unlinkCategorized({ service, source, sourcePath: rel })
        }
      }
    }
    return linked
  }

  categories(): CategoryInfo[] {
    if (this.#categoryInfo) return this.#categoryInfo
    const by = new Map<string, CategoryInfo & { o: number; n: number }>()
    for (const name of this.#o.categorizer.categories) by.set(name, { name, files: 0, bytes: 0, oldestMtime: null, newestMtime: null, o: Infinity, n: -Infinity })
    for (const e of this.#entries.values()) {
      let c = by.get(e.service)
      if (!c) by.set(e.service, (c = { name: e.service, files: 0, bytes: 0, oldestMtime: null, newestMtime: null, o: Infinity, n: -Infinity }))
      c.files++
      c.bytes += e.size
      c.o = Math.min(c.o, e.mtimeMs)
      c.n = Math.max(c.n, e.mtimeMs)
    }
    this.#categoryInfo = [...by.values()].map(({ o, n, ...c }) => ({
      ...c,
      oldestMtime: c.files > 0 ? new Date(o).toISOString() : null,
      newestMtime: c.files > 0 ? new Date(n).toISOString() : null,
    }))
    return this.#categoryInfo
  }

  #entry(e: Entry): FileEntry {
    return {
      service: e.service,
      source: e.source,
      name: basename(e.sourcePath),
      path: `categorized/${e.service}/${e.source}/${e.sourcePath}`,
      sourcePath: e.sourcePath,
      size: e.size,
      mtime: new Date(e.mtimeMs).toISOString(),
      mtimeMs: e.mtimeMs,
    }
  }

  files(q: FileQuery = {}, defaultLimit = 100): FileList {
    // Newest first, kept sorted between changes (a listing then costs a filter, not a sort).
    this.#sorted ??= [...this.#entries.values()].sort((a, b) => b.mtimeMs - a.mtimeMs || (a.sourcePath < b.sourcePath ? -1 : 1))
    const nameRe = q.name !== undefined ? new RegExp(globToRegExp(q.name).source, 'i') : undefined
    const match = (e: Entry): boolean =>
      (q.service === undefined || e.service === q.service) &&
      (q.since === undefined || e.mtimeMs >= q.since) &&
      (q.until === undefined || e.mtimeMs < q.until) &&
      (nameRe === undefined || nameRe.test(basename(e.sourcePath)))
    const all = this.#sorted.filter(match)
    if (q.order === 'oldest') all.reverse()
    const offset = q.offset ?? 0
    const limit = q.limit ?? defaultLimit
    return { total: all.length, files: all.slice(offset, offset + limit).map((e) => this.#entry(e)) }
  }
}
