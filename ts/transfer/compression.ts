/** Compression on the way to the target: gzip (node:zlib) or zstd (the native binding). */
import type { Transform } from 'node:stream'
import type * as Zlib from 'node:zlib'
import { lazyModule } from '../lazy-module.js'
import { ZstdCompressStream } from './zstd-stream.js'
import type { Compression } from './types.js'

/** node:zlib costs ~15 ms at import: loaded by the first gzip copy. */
const zlib = lazyModule<typeof Zlib>('node:zlib')

const SUFFIX: Record<Compression, string> = { gzip: '.gz', zstd: '.zst' }

/** The name a compressed copy gets. */
export function compressedName(path: string, kind: Compression): string {
  return path + SUFFIX[kind]
}

export function createCompressor(kind: Compression): Transform {
  return kind === 'gzip' ? zlib().createGzip() : new ZstdCompressStream()
}
