/**
 * The native search (crates/search through crates/node/src/search.rs) as an async iterator of
 * batches: each batch is one file's next matches (or that file's error), files newest first.
 * Nothing is buffered here: the next batch is asked for when the previous one was consumed, and
 * the native side holds at most a few MiB per worker meanwhile. Leaving the loop (break, throw,
 * return()) or aborting `signal` cancels the search between two blocks.
 */
import type { NativeSearchBatch, NativeSearchOptions } from '../binding.cjs'
import { callAsync, fromNative } from '../errors.js'
import { native } from '../native.js'

export type { NativeSearchBatch, NativeSearchOptions, NativeSearchMatch } from '../binding.cjs'

/** A pattern the engine refuses: the message says why (regex syntax, size, a line break). */
export class PatternError extends Error {
  readonly code = 'ERR_INVALID_PATTERN'
  constructor(message: string) {
    super(message)
    this.name = 'PatternError'
  }
}

/** Starts a search now (the pattern is compiled here: a bad one throws PatternError). */
export function startSearch(options: NativeSearchOptions, signal?: AbortSignal): AsyncGenerator<NativeSearchBatch, void, undefined> {
  let search: InstanceType<typeof native.NativeSearch>
  try {
    search = new native.NativeSearch(options)
  } catch (err) {
    const m = /^ERR_INVALID_PATTERN: ([\s\S]*)$/.exec((err as Error).message)
    if (m) throw new PatternError(m[1] as string)
    throw fromNative(err)
  }
  return batches(search, signal)
}

async function* batches(search: InstanceType<typeof native.NativeSearch>, signal: AbortSignal | undefined): AsyncGenerator<NativeSearchBatch, void, undefined> {
  const cancel = (): void => search.cancel()
  signal?.addEventListener('abort', cancel, { once: true })
  try {
    signal?.throwIfAborted()
    for (;;) {
      const b = await callAsync(() => search.next())
      // A cancelled search ends with null: an abort is the caller's to see.
      signal?.throwIfAborted()
      if (b === null) return
      yield b
    }
  } finally {
    signal?.removeEventListener('abort', cancel)
    search.cancel()
  }
}
