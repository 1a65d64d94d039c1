/** Compression on the way to the target: gzip (node:zlib) or zstd (the native binding). */
import type { Transform } from 'node:stream'
import { createGzip } from 'node:zlib'
import { ZstdCompressStream } from './zstd-stream.js'
import type { Compression } from './types.js'

const SUFFIX: Record<Compression, string> = { gzip: '.gz', zstd: '.zst' }

/** The name a compressed copy gets. */
export function compressedName(path: string, kind: Compression): string {
  return path + SUFFIX[kind]
}

export function createCompressor(kind: Compression): Transform {
  return kind === 'gzip' ? createGzip() : new ZstdCompressStream()
}
