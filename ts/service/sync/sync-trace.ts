/**
 * Phase marks of a sync on the diagnostics channel `logferry:sync` (benchmarks, profiling a slow
 * sync): a subscriber gets `{ source, phase, at }` (at: performance.now()). Costs nothing while
 * nobody subscribes.
 */
import { channel } from 'node:diagnostics_channel'

export const SYNC_TRACE_CHANNEL = 'logferry:sync'

export interface SyncTraceEvent {
  /** The source's name; '' for a phase of the whole sync. */
  source: string
  phase: string
  at: number
}

const ch = channel(SYNC_TRACE_CHANNEL)

export function traceSync(source: string, phase: string): void {
  if (ch.hasSubscribers) ch.publish({ source, phase, at: performance.now() } satisfies SyncTraceEvent)
}
