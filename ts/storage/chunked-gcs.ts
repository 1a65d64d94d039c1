/**
 * GCS parallel composite upload: each chunk becomes a temporary object with a name unique to
 * this upload (random UUID), then the parts are composed into the target. Compose takes at most
 * 32 sources, so more parts are composed in rounds (a tree of intermediate objects). Every
 * temporary object, parts and intermediates, is deleted afterwards, on success and on failure.
 */
import { createHash, randomUUID } from 'node:crypto'
import type { BeginOptions, ChunkedUploadSession, ChunkedUploadStrategy } from './chunked-strategy.js'
import { StorageError } from './errors.js'
import type { GcsFileSystem } from './gcs.js'
import { mapLimit } from './object-store.js'

/** GCS's limit on the sources of one compose request. */
export const GCS_COMPOSE_LIMIT = 32

/** Groups `keys` into runs of at most `limit` (the sources of one compose call each). */
export function composeGroups(keys: string[], limit = GCS_COMPOSE_LIMIT): string[][] {
  const out: string[][] = []
  for (let i = 0; i < keys.length; i += limit) out.push(keys.slice(i, i + limit))
  return out
}

export function gcsComposeStrategy(fs: GcsFileSystem, parallelism = 8): ChunkedUploadStrategy {
  return {
    name: 'gcs-compose',
    minPartSize: 1,
    maxParts: 1_000_000,
    partChecksums: ['crc32c'],
    async begin(remotePath: string, _size: number, options?: BeginOptions): Promise<ChunkedUploadSession> {
      const key = fs.objectKey(remotePath)
      const slash = key.lastIndexOf('/')
      const tempBase = `${key.slice(0, slash + 1)}.${key.slice(slash + 1)}.logferry-tmp-${randomUUID()}`
      const partKey = (i: number): string => `${tempBase}-p${String(i).padStart(6, '0')}`
      const temps = new Set<string>()
      const guard = async <T>(f: () => Promise<T>): Promise<T> => {
        try {
          return await f()
        } catch (err) {
          throw fs.toStorageError(err, remotePath)
        }
      }
      const cleanup = async (): Promise<void> => {
        const keys = [...temps]
        temps.clear()
        await mapLimit(keys, parallelism, (k) => fs.bucket.file(k).delete({ ignoreNotFound: true }).then(() => undefined, () => undefined))
      }
      return {
        async uploadPart(index, data, sums) {
          const k = partKey(index)
          temps.add(k)
          const file = fs.bucket.file(k)
          await guard(() => file.save(data, { resumable: false, validation: false, contentType: 'application/octet-stream' }))
          // The part's stored MD5 (else CRC32C) against the caller's checksum of the bytes it read.
          const stored = file.metadata as { md5Hash?: string; crc32c?: string }
          const md5 = (sums?.md5 ?? createHash('md5').update(data).digest()).toString('base64')
          const crc = sums?.crc32c
          const mismatch =
            stored.md5Hash !== undefined
              ? stored.md5Hash !== md5 && `stored MD5 ${stored.md5Hash}, ${md5} read`
              : stored.crc32c !== undefined && crc !== undefined
                ? Buffer.from(stored.crc32c, 'base64').readUInt32BE(0) !== crc && `stored CRC32C ${stored.crc32c} differs from the bytes read`
                : 'the store stated no checksum for the part'
          if (mismatch) throw new StorageError('ECHECKSUM', { backend: 'gs', path: remotePath, detail: `part ${index}: ${mismatch}` })
        },
        async complete(partCount) {
          try {
            let level = Array.from({ length: partCount }, (_, i) => partKey(i))
            for (let round = 1; level.length > GCS_COMPOSE_LIMIT; round++) {
              const groups = composeGroups(level)
              const next = groups.map((_, j) => `${tempBase}-r${round}-${String(j).padStart(6, '0')}`)
              for (const k of next) temps.add(k)
              await mapLimit(
                groups.map((g, j) => ({ g, k: next[j] as string })),
                parallelism,
                async ({ g, k }) => {
                  await guard(() => fs.bucket.combine(g, k))
                },
              )
              level = next
            }
            const [, resource] = await guard(() => fs.bucket.combine(level, key))
            if (options?.metadata) await guard(() => fs.bucket.file(key).setMetadata({ metadata: options.metadata }))
            // A composite object has no MD5, only a CRC32C: the caller compares it with the parts' combined.
            const crc = (resource as { crc32c?: string } | undefined)?.crc32c
            return typeof crc === 'string' && crc !== '' ? { crc32c: Buffer.from(crc, 'base64').toString('hex') } : undefined
          } finally {
            await cleanup()
          }
        },
        abort: cleanup,
      }
    },
  }
}
