/**
 * Validated extraction of one compressed file (docs/collect.md, "Extraction"). The native
 * decoder (crates/node/src/decompress.rs) runs on the libuv thread pool: gzip (every member,
 * each CRC32 and ISIZE checked), bzip2, xz and zstd, told apart by their magic bytes. The output
 * is written to a temp file in `tmpDir`, fsync'd and renamed to `destination`, so nothing partial
 * is ever visible there.
 */
import { callAsync } from '../errors.js'
import { native } from '../native.js'

export type CompressionFormat = 'gzip' | 'bzip2' | 'xz' | 'zstd'

/** Why a file is quarantined (stable names). */
export type InvalidReason =
  | 'empty'
  | 'not_compressed'
  | 'truncated'
  | 'crc_mismatch'
  | 'length_mismatch'
  | 'trailing_garbage'
  | 'corrupt'
  /** Its magic bytes name a format left out of pipeline.conf's `formats`. */
  | 'format_not_enabled'

export type Extraction =
  | { status: 'ok'; format: CompressionFormat; bytesIn: number; bytesOut: number; members: number }
  /** The input is not a complete valid compressed file: quarantine it, never retry. */
  | { status: 'invalid'; reason: InvalidReason; offset: number; format?: CompressionFormat; message: string }
  /** Reading, writing, syncing or renaming failed (ENOSPC, EIO, ...): retry. */
  | { status: 'io'; errno: string; message: string }

/**
 * Extracts `source` to `destination` through a temp file in `tmpDir` (which must be on the
 * destination's filesystem: the publish is a rename). Rejects only on a native panic (ERR_PANIC).
 */
export async function extractFile(source: string, tmpDir: string, destination: string, formats?: readonly CompressionFormat[]): Promise<Extraction> {
  const r = await callAsync(() => native.extractFile(source, tmpDir, destination, formats === undefined ? undefined : [...formats]))
  switch (r.status) {
    case 'ok':
      return { status: 'ok', format: r.format as CompressionFormat, bytesIn: r.bytesIn, bytesOut: r.bytesOut, members: r.members }
    case 'invalid':
      return {
        status: 'invalid',
        reason: r.reason as InvalidReason,
        offset: r.offset ?? 0,
        ...(r.format === undefined ? {} : { format: r.format as CompressionFormat }),
        message: r.message ?? String(r.reason),
      }
    default:
      return { status: 'io', errno: r.errno ?? 'EIO', message: r.message ?? 'I/O error' }
  }
}
