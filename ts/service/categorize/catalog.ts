/**
 * The catalog of mirrored files and their categories, and its materialisation as hard links
 * `<data>/categorized/<category>/<source>/<path>` (a copy only where a hard link cannot be made:
 * another filesystem). A full reconcile at start (rules may have changed since the last run);
 * afterwards only the files a sync changed are looked at again.
 */
import { linkSync, lstatSync, renameSync, statSync } from 'node:fs'
import { copyFile, mkdir, readdir, rm, rmdir } from 'node:fs/promises'
import { basename, dirname, join, sep } from 'node:path'
import { globToRegExp } from '../../storage/glob.js'
import type { Classifier } from '../errors/classifier.js'
import { scanFile, type ErrorEvent, type ScanState } from '../errors/scanner.js'
import type { NewEvents, PersistedFile, ServiceState } from '../service-state.js'
import type { CategoryInfo, ErrorEventEntry, ErrorList, ErrorQuery, FileEntry, FileList, FileQuery } from '../types.js'
import type { Categorizer } from './rules.js'

/** A catalogued file: what the service state persists for it (sourcePath `/`-separated, relative to the mirror root; scan: where the error scan stopped, and its counts). */
type Entry = PersistedFile

/** Names the mirror never holds as logs: rsync's partial dir and temp files, dot files. */
export function isHiddenPath(rel: string): boolean {
  return rel.split('/').some((seg) => seg.startsWith('.'))
}

const toPosix = (p: string): string => (sep === '/' ? p : p.split(sep).join('/'))

export async function* walk(root: string, rel = ''): AsyncGenerator<string> {
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
  /** Persists the entries and error events (kept in memory only without it). */
  state?: ServiceState
  /** Scans each new or grown file for error events (none without it). */
  classifier?: Classifier
  /** Error events kept per file (default 200). */
  maxEvents?: number
}

/** Catalog.feed writes the state store every this many changed files. */
const FEED_FLUSH_FILES = 200

/** Files landing during a fetch, categorised meanwhile (Catalog.feed). */
export interface CatalogFeed {
  add(path: string, size: number): void
  settle(): Promise<{ linked: number; done: ReadonlySet<string> }>
}

export class Catalog {
  readonly #o: CatalogOptions
  readonly #entries = new Map<string, Entry>()
  #sorted: Entry[] | undefined
  #categoryInfo: CategoryInfo[] | undefined
  /** Written to the state at the next flush(). */
  readonly #toSave = new Set<string>()
  readonly #toRemove = new Set<string>()
  readonly #newEvents = new Map<string, NewEvents>()
  /** The events of each file when there is no state store. */
  readonly #memEvents = new Map<string, ErrorEvent[]>()

  constructor(o: CatalogOptions) {
    this.#o = o
    // What the last run knew: the reconcile at start checks each against the disk.
    for (const f of o.state?.files() ?? []) this.#entries.set(`${f.source}/${f.sourcePath}`, { ...f })
  }

  /** Scan state carried from a file to its compressed copy (retention: same content). */
  carryScan(source: string, from: string, to: string, ino: number): void {
    const e = this.#entries.get(`${source}/${from}`)
    if (e?.scan === undefined) return
    this.#carried.set(`${source}/${to}`, { ...e.scan, ino, offset: Number.MAX_SAFE_INTEGER })
    const events = this.#o.state?.events(e.service).find((x) => x.key === `${source}/${from}`)?.events ?? this.#memEvents.get(`${source}/${from}`)
    if (events) this.#carriedEvents.set(`${source}/${to}`, events)
  }

  readonly #carried = new Map<string, ScanState>()
  readonly #carriedEvents = new Map<string, ErrorEvent[]>()

  /** Writes what changed since the last flush to the state store, in one transaction. */
  flush(): void {
    const changed: PersistedFile[] = []
    for (const k of this.#toSave) {
      const e = this.#entries.get(k)
      if (e) changed.push(e)
    }
    const max = this.#o.maxEvents ?? 200
    if (this.#o.state) this.#o.state.saveFiles(changed, this.#toRemove, this.#newEvents, max)
    else {
      for (const k of this.#toRemove) this.#memEvents.delete(k)
      for (const [k, n] of this.#newEvents) this.#memEvents.set(k, [...(n.fresh ? [] : (this.#memEvents.get(k) ?? [])), ...n.events].slice(-max))
    }
    this.#toSave.clear()
    this.#toRemove.clear()
    this.#newEvents.clear()
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

  // The stat, link and rename calls of an update are synchronous on purpose: each takes
  // microseconds on the local data directory, while the thread-pool round trips of their promise
  // versions cost more CPU than the calls (2,000 stat+link: 24 ms of CPU async, 10 ms sync), CPU
  // taken from the rsync transfer the feed runs beside.
  /** Directories already made under categorized/ (one mkdir per directory, not per file). */
  readonly #made = new Set<string>()

  /**
   * Makes `dst` the same inode as `src`: a new name is linked directly, an existing one is
   * replaced atomically (link to a temp name, rename over). A copy where no hard link can be made.
   * `exists` null: only a new name is made; false when the name is taken (nothing done).
   */
  async #materialize(src: string, dst: string, exists: boolean | null): Promise<boolean> {
    const dir = dirname(dst)
    if (!this.#made.has(dir)) {
      // Once per directory, and it may wait for the filesystem journal: off the main thread.
      await mkdir(dir, { recursive: true })
      this.#made.add(dir)
    }
    const place = async (to: string): Promise<void> => {
      try {
        linkSync(src, to)
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code
        if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP') throw e
        await copyFile(src, to)
      }
    }
    if (exists === null) {
      // A file new to the catalog: its name is made without looking first (one lstat less per new file).
      try {
        await place(dst)
        return true
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
        return false
      }
    }
    if (!exists) {
      try {
        await place(dst)
        return true
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      }
    }
    const tmp = join(dir, `.${basename(dst)}.lf-${process.pid}-${(this.#tmpSeq++).toString(36)}`)
    await place(tmp)
    renameSync(tmp, dst)
    return true
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
      st = statSync(abs)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
      if (old) {
        await this.#unlinkCategorized(old)
        this.#entries.delete(key)
        this.#toSave.delete(key)
        this.#toRemove.add(key)
        this.#changed()
      }
      return false
    }
    if (!st.isFile()) return false
    const service = this.#o.categorizer.categorize(basename(sourcePath))
    const entry: Entry = { source, sourcePath, service, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, scan: old?.scan ?? this.#carried.get(key) }
    if (old && old.service !== service) await this.#unlinkCategorized(old)
    const dst = this.#linkPath(entry)
    let same = false
    const linkedNew = old === undefined && (await this.#materialize(abs, dst, null))
    if (!linkedNew) {
      let exists = false
      try {
        const d = lstatSync(dst)
        exists = true
        same = d.ino === st.ino && d.dev === st.dev
      } catch {
        same = false
      }
      if (!same) await this.#materialize(abs, dst, exists)
    }
    const carried = this.#carriedEvents.get(key)
    if (carried) this.#newEvents.set(key, { fresh: true, events: carried })
    this.#carried.delete(key)
    this.#carriedEvents.delete(key)
    if (this.#o.classifier) {
      let r
      try {
        r = await scanFile({ path: abs, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, classifier: this.#o.classifier, previous: entry.scan })
      } catch (err) {
        // A damaged compressed file is served as a 422; here it just has no events (not scanned again until it changes).
        this.#o.onWarning?.('error scan failed', { path: `${source}/${sourcePath}`, error: (err as Error).message })
        r = { state: { ino: st.ino, offset: st.size, lines: 0, errors: 0, warnings: 0 }, events: [], fresh: true }
      }
      if (r) {
        entry.scan = r.state
        const pending = this.#newEvents.get(key)
        // Two scans before a flush: the first one's events stay unless the second started afresh.
        this.#newEvents.set(key, r.fresh || !pending ? { fresh: r.fresh, events: r.events } : { fresh: pending.fresh, events: [...pending.events, ...r.events] })
      }
    }
    const unchanged = old !== undefined && !this.#toSave.has(key) && old.service === entry.service && old.size === entry.size && old.mtimeMs === entry.mtimeMs && old.ino === entry.ino && old.scan === entry.scan
    this.#entries.set(key, entry)
    if (!unchanged) {
      this.#toSave.add(key)
      this.#toRemove.delete(key)
    }
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
   * `update` for the files of one source as a fetch lands them, while it goes on (a few at a
   * time; the state store written every FEED_FLUSH_FILES files). `settle()` waits for them: the number (re)linked, and the paths done — not a path
   * added again while its update ran, nor one whose size on disk was not the size reported
   * (not in place yet after all): the caller updates those.
   */
  feed(source: string, concurrency = 16): CatalogFeed {
    const queue: { path: string; size: number }[] = []
    let head = 0
    const active = new Set<string>()
    const again = new Set<string>()
    const done = new Set<string>()
    let linked = 0
    let failure: { error: unknown } | undefined
    let idle: (() => void) | undefined
    const pump = (): void => {
      while (active.size < concurrency && head < queue.length && failure === undefined) {
        const { path, size } = queue[head++] as { path: string; size: number }
        if (active.has(path)) {
          again.add(path)
          continue
        }
        active.add(path)
        this.update(source, path)
          .then((l) => {
            if (l) linked++
            if (this.#entries.get(`${source}/${path}`)?.size === size) done.add(path)
            else done.delete(path)
            // Written as the fetch goes on too: what is left to write when it ends is small.
            if (this.#toSave.size >= FEED_FLUSH_FILES) this.flush()
          })
          .catch((error: unknown) => void (failure ??= { error }))
          .finally(() => {
            active.delete(path)
            pump()
            if (active.size === 0) idle?.()
          })
      }
    }
    return {
      add: (path, size) => {
        queue.push({ path, size })
        pump()
      },
      settle: async () => {
        while (active.size > 0) await new Promise<void>((res) => (idle = res))
        if (failure) throw failure.error
        for (const p of again) done.delete(p)
        for (const p of queue.slice(head)) done.delete(p.path)
        return { linked, done }
      },
    }
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
      const seen = new Set(rels)
      // Known (from the state) but gone from the mirror: update() forgets them.
      for (const e of this.#entries.values()) if (e.source === source && !seen.has(e.sourcePath)) rels.push(e.sourcePath)
      linked += await this.updateMany(source, rels)
    }
    // Entries of sources no longer configured.
    for (const [k, e] of this.#entries) {
      if (!sources.includes(e.source)) {
        this.#entries.delete(k)
        this.#toRemove.add(k)
        this.#changed()
      }
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
    this.flush()
    return linked
  }

  categories(): CategoryInfo[] {
    if (this.#categoryInfo) return this.#categoryInfo
    const by = new Map<string, CategoryInfo & { o: number; n: number }>()
    const blank = (name: string): CategoryInfo & { o: number; n: number } => ({ name, files: 0, bytes: 0, oldestMtime: null, newestMtime: null, errors: 0, warnings: 0, o: Infinity, n: -Infinity })
    for (const name of this.#o.categorizer.categories) by.set(name, blank(name))
    for (const e of this.#entries.values()) {
      let c = by.get(e.service)
      if (!c) by.set(e.service, (c = blank(e.service)))
      c.files++
      c.bytes += e.size
      c.errors += e.scan?.errors ?? 0
      c.warnings += e.scan?.warnings ?? 0
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

  /** Error events, newest first (by the line's time, then file and line). */
  errors(q: ErrorQuery = {}): ErrorList {
    const stored = this.#o.state
      ? this.#o.state.events(q.service)
      : [...this.#memEvents].map(([key, events]) => ({ key, service: this.#entries.get(key)?.service ?? '', events })).filter((x) => q.service === undefined || x.service === q.service)
    const all: ErrorEventEntry[] = []
    for (const s of stored) {
      const e = this.#entries.get(s.key)
      if (!e) continue
      for (const ev of s.events) {
        if (q.since !== undefined && ev.time < q.since) continue
        all.push({ service: e.service, source: e.source, path: `categorized/${e.service}/${e.source}/${e.sourcePath}`, sourcePath: e.sourcePath, line: ev.line, level: ev.level, signature: ev.signature ?? null, text: ev.text, time: new Date(ev.time).toISOString() })
      }
    }
    all.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : a.path < b.path ? -1 : a.path > b.path ? 1 : b.line - a.line))
    return { total: all.length, events: all.slice(0, q.limit ?? 100) }
  }

  /** The entries of a source (retention walks them). */
  entriesOf(source: string): Readonly<PersistedFile>[] {
    return [...this.#entries.values()].filter((e) => e.source === source)
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
