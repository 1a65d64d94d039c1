/**
 * Answers of `GET /logs` kept as serialised JSON between syncs. The catalog a listing reads
 * changes only while a sync runs, so an answer computed between two syncs stays exact until the
 * next one starts: dashboards polling the same listing then cost a map lookup instead of a
 * filter over every file and a serialisation. Nothing is cached while a sync runs.
 */
import type { LogsServiceCore } from '../types.js'

export class ListingCache {
  private readonly entries = new Map<string, string>()
  private syncing = false
  private readonly onStart = (): void => {
    this.syncing = true
    this.entries.clear()
  }
  private readonly onEnd = (): void => {
    this.syncing = false
    this.entries.clear()
  }

  constructor(
    private readonly core: LogsServiceCore,
    private readonly max = 256,
  ) {
    core.on('syncStart', this.onStart)
    core.on('sync', this.onEnd)
    this.syncing = core.status().syncing !== null
  }

  /** The cached answer for `key`, or `compute()`'s, kept when no sync runs. */
  get(key: string, compute: () => string): string {
    const hit = this.entries.get(key)
    if (hit !== undefined) return hit
    const value = compute()
    if (!this.syncing) {
      if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as string)
      this.entries.set(key, value)
    }
    return value
  }

  dispose(): void {
    this.core.off('syncStart', this.onStart)
    this.core.off('sync', this.onEnd)
    this.entries.clear()
  }
}
