/**
 * Optional zstd compression of extracted files (pipeline.conf `compress_extracted: "zstd"`):
 * the plain extraction sits in TMP_DIR, is compressed by the transfer layer's zstd stream (the
 * native encoder) into a second temp file there, fsync'd, and renamed into `extracted/`; the
 * plain file is removed. Both temp names are swept after a kill like every `.part` file.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { open, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { ZstdCompressStream } from '../transfer/zstd-stream.js'

async function fsyncPath(path: string): Promise<void> {
  const h = await open(path, 'r')
  try {
    await h.sync()
  } finally {
    await h.close()
  }
}

/** `plain` compressed to `destination` through `tmp`; I/O failures are thrown as they come (errno in `code`). */
export async function compressInto(plain: string, tmp: string, destination: string, level: number): Promise<void> {
  try {
    await pipeline(createReadStream(plain), new ZstdCompressStream(level), createWriteStream(tmp, { flags: 'wx' }))
    await fsyncPath(tmp)
    await rename(tmp, destination)
    await fsyncPath(dirname(destination))
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  } finally {
    await rm(plain, { force: true })
  }
}
