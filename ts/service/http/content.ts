/**
 * The bytes `GET /logs/content` answers with, as a stream over an opened file: whole, the last
 * or first N lines, or a byte range, of the file's content (`.gz` and `.zst` decoded on the fly).
 * Nothing holds a whole file: plain files are read from the asked-for offset, compressed ones
 * decode forward through a bounded selection.
 */
import { Readable, type Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import { ZstdDecompressStream } from '../../transfer/zstd-stream.js'
import { ApiError } from './errors.js'
import { ByteRange, HeadLines, LastLines, tailStart } from './lines.js'
import type { OpenedFile } from './path-guard.js'

export type Compression = 'gzip' | 'zstd' | null

export function compressionOf(name: string): Compression {
  const n = name.toLowerCase()
  if (n.endsWith('.gz')) return 'gzip'
  if (n.endsWith('.zst') || n.endsWith('.zstd')) return 'zstd'
  return null
}

/** The name a download of the decoded content gets. */
export function decodedName(name: string): string {
  return compressionOf(name) === null ? name : name.replace(/\.(gz|zst|zstd)$/i, '')
}

function decoder(c: Exclude<Compression, null>): Transform {
  return c === 'gzip' ? createGunzip() : new ZstdDecompressStream()
}

export type Selection =
  | { kind: 'all' }
  | { kind: 'tail'; lines: number }
  | { kind: 'head'; lines: number }
  | { kind: 'range'; offset: number; length: number }

export interface ContentOptions {
  /** Most bytes a compressed file's tail may hold in memory. */
  maxTailBytes: number
}

function empty(file: OpenedFile): Readable {
  void file.handle.close().catch(() => undefined)
  return Readable.from([])
}

/** A stream whose end also ends (and closes) the file it reads from. */
function chain(source: Readable, ...stages: Transform[]): Readable {
  let last: Readable = source
  for (const s of stages) {
    last.on('error', (err) => s.destroy(err))
    last = last.pipe(s)
  }
  // A selection that ended early (head, range) stops reading the rest of the file; a client
  // that went away stops the whole chain.
  last.once('end', () => source.destroy())
  last.once('close', () => source.destroy())
  return last
}

/**
 * The content of `file` for `sel`. The handle is closed when the stream ends or is destroyed.
 * A compressed tail is decoded before this resolves (so a corrupt file is a 422, not a cut
 * response); the rest streams, once its first bytes decoded.
 */
export async function openContent(file: OpenedFile, name: string, sel: Selection, opts: ContentOptions): Promise<Readable> {
  const c = compressionOf(name)
  if (c === null) {
    const size = file.size
    if (sel.kind === 'all') return size === 0 ? empty(file) : file.handle.createReadStream({ start: 0, end: size - 1 })
    if (sel.kind === 'tail') {
      let start: number
      try {
        start = await tailStart(file.handle, size, sel.lines)
      } catch (err) {
        await file.handle.close()
        throw err
      }
      return start >= size ? empty(file) : file.handle.createReadStream({ start, end: size - 1 })
    }
    if (sel.kind === 'head') {
      if (sel.lines === 0 || size === 0) return empty(file)
      return chain(file.handle.createReadStream({ start: 0, end: size - 1 }), new HeadLines(sel.lines))
    }
    const end = Math.min(size, sel.offset + sel.length)
    if (sel.offset >= end) return empty(file)
    return file.handle.createReadStream({ start: sel.offset, end: end - 1 })
  }

  const raw = (): Readable => (file.size === 0 ? Readable.from([]) : file.handle.createReadStream({ start: 0 }))
  if (sel.kind === 'tail') {
    const last = new LastLines(sel.lines, opts.maxTailBytes)
    const kept: Buffer[] = []
    try {
      await pipeline(raw(), decoder(c), last, async (src: AsyncIterable<Buffer>) => {
        for await (const b of src) kept.push(b)
      })
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_TAIL_TOO_LARGE')
        throw new ApiError(413, 'ERR_TOO_LARGE', `tail: ${(err as Error).message}; ask for fewer lines`, 'tail')
      throw err
    } finally {
      await file.handle.close().catch(() => undefined)
    }
    return Readable.from(kept)
  }
  const src = raw()
  src.once('close', () => void file.handle.close().catch(() => undefined))
  const out =
    sel.kind === 'all'
      ? chain(src, decoder(c))
      : sel.kind === 'head'
        ? chain(src, decoder(c), new HeadLines(sel.lines))
        : chain(src, decoder(c), new ByteRange(sel.offset, sel.length))
  return primed(out)
}

/**
 * Resolves once `s` has its first bytes (or ended), rejects if it fails before: a file that is
 * not what its name says is a 422 before the answer's status goes out. Nothing is consumed.
 */
function primed(s: Readable): Promise<Readable> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      s.off('readable', ok)
      s.off('end', ok)
      s.off('error', fail)
    }
    const ok = (): void => {
      cleanup()
      resolve(s)
    }
    const fail = (err: Error): void => {
      cleanup()
      s.destroy()
      reject(err)
    }
    s.once('readable', ok)
    s.once('end', ok)
    s.once('error', fail)
  })
}
