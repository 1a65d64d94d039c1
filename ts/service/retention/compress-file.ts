/**
 * Compresses one file beside itself: written to a temp name, fsynced, decoded again and compared
 * with the original (size and sha256), then renamed to `<name>.gz` / `<name>.zst` with the
 * original's mtime, and only then the original removed. A failure at any step leaves the
 * original in place and no compressed name.
 */
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { open, rename, rm, stat, utimes } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import { createGzip, createGunzip } from 'node:zlib'
import type { Transform } from 'node:stream'

async function encoder(codec: 'gzip' | 'zstd'): Promise<Transform> {
  if (codec === 'gzip') return createGzip({ level: 6 })
  // The zstd stream comes with the native addon: loaded when a policy asks for zstd.
  const { ZstdCompressStream } = await import('../../transfer/zstd-stream.js')
  return new ZstdCompressStream()
}

async function decoder(codec: 'gzip' | 'zstd'): Promise<Transform> {
  if (codec === 'gzip') return createGunzip()
  const { ZstdDecompressStream } = await import('../../transfer/zstd-stream.js')
  return new ZstdDecompressStream()
}

async function digest(stream: AsyncIterable<Buffer>): Promise<{ sha: string; bytes: number }> {
  const h = createHash('sha256')
  let bytes = 0
  for await (const c of stream) {
    h.update(c)
    bytes += c.length
  }
  return { sha: h.digest('hex'), bytes }
}

export const extensionOf = (codec: 'gzip' | 'zstd'): string => (codec === 'gzip' ? '.gz' : '.zst')

/** Returns the compressed file's path. Throws (code ERR_RETENTION_VERIFY) when the copy does not decode to the original. */
export async function compressFile(path: string, codec: 'gzip' | 'zstd'): Promise<string> {
  const before = await stat(path)
  const final = `${path}${extensionOf(codec)}`
  const tmp = `${path}.lf-compress-${process.pid}.tmp`
  try {
    await pipeline(createReadStream(path), await encoder(codec), createWriteStream(tmp, { flags: 'wx' }))
    const fh = await open(tmp, 'r')
    try {
      await fh.sync()
    } finally {
      await fh.close()
    }
    const [orig, back] = await Promise.all([digest(createReadStream(path)), digest(createReadStream(tmp).pipe(await decoder(codec)))])
    if (orig.sha !== back.sha || orig.bytes !== back.bytes) {
      throw Object.assign(new Error(`compressed copy of ${path} does not decode to the original (${back.bytes} vs ${orig.bytes} bytes)`), { code: 'ERR_RETENTION_VERIFY' })
    }
    const now = await stat(path)
    if (now.mtimeMs !== before.mtimeMs || now.size !== before.size) {
      throw Object.assign(new Error(`${path} changed while it was being compressed`), { code: 'ERR_RETENTION_CHANGED' })
    }
    await utimes(tmp, before.atime, before.mtime)
    await rename(tmp, final)
    await rm(path)
    return final
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}
