/**
 * The 'storage' method: each file goes through the delivery core's copyFile (ts/delivery/
 * copy-file.ts): streamed, or in parallel parts for large files to targets with parallelParts,
 * hashed on the way, verified with the store before (rename backends) or right after (atomic
 * writes) it is published, and stamped with `logferry-sha256` on targets with object metadata.
 * Many small files of this machine to local disk go in native batches (local-batches.ts).
 */
import { chunkSizeFor, copyFile } from '../delivery/copy-file.js'
import { capabilitiesOf } from '../storage/capabilities.js'
import { inBatches } from './local-batches.js'
import type { TransferMethodImpl } from './method.js'

/** Parts in flight for one large file (files themselves run `concurrency` at a time). */
const PARTS_PER_FILE = 4

export const storageMethod: TransferMethodImpl = {
  name: 'storage',
  inapplicable: () => undefined,
  prepare: () => undefined,
  run: (files, ctx) =>
    inBatches(files, ctx, async (f, addBytes, attempt) => {
      const { o } = ctx
      // A file the listing showed no larger than one part is streamed: copyFile is not given the
      // part size, so it does not stat the source again to choose (a stat per small file was 8%
      // of the CPU of 10,000 small files to S3). A file that grew since is still copied whole.
      const strategy = capabilitiesOf(o.target).parallelParts
      const parts = strategy !== undefined && f.size > chunkSizeFor(o.target, strategy, f.size, o.chunkSize)
      const r = await copyFile(o.source, f.source, o.target, f.target, {
        verify: o.verify,
        noClobber: o.overwrite === 'never',
        signal: o.signal,
        onBytes: addBytes,
        bucket: ctx.bucket,
        compress: o.compress,
        // Only on the first attempt: a retry may follow a write whose answer was lost.
        targetAbsent: f.targetAbsent === true && attempt === 1,
        stampSha256: true,
        // Within the target strategy's limits (copy-file.ts chunkSizeFor).
        ...(parts ? { chunkSize: o.chunkSize } : {}),
        concurrency: PARTS_PER_FILE,
        // The report's checksum is the sha256 of the bytes, also for chunked copies.
        sha256: true,
      })
      return { bytes: r.target.bytes, checksum: r.target.sha256 ?? '' }
    }),
}
