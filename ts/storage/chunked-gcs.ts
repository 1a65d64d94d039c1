/**
 * GCS parallel composite upload: each chunk becomes a temporary object with a name unique to
 * this upload (random UUID), then the parts are composed into the target. Compose takes at most
 * 32 sources, so more parts are composed in rounds (a tree of intermediate objects). Every
 * temporary object, parts and intermediates, is deleted afterwards, on success and on failure.
 */
import { createHash, randomUUID } from 'node:crypto'
import type { ChunkedUploadSession, ChunkedUploadStrategy } from './chunked-strategy.js'
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
    async begin(remotePath: string): Promise<ChunkedUploadSession> {
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
        async uploadPart(index, data) {
          const k = partKey(index)
          temps.add(k)
          const file = fs.bucket.file(k)
          await guard(() => file.save(data, { resumable: false, validation: false, contentType: 'application/octet-stream' }))
          const md5 = (file.metadata as { md5Hash?: string }).md5Hash
          if (md5 !== undefined && md5 !== createHash('md5').update(data).digest('base64')) {
            throw new StorageError('ETRANSIENT', { backend: 'gs', path: remotePath, detail: `part ${index}: stored MD5 differs from the bytes sent` })
          }
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
            await guard(() => fs.bucket.combine(level, key))
          } finally {
            await cleanup()
          }
        },
        abort: cleanup,
      }
    },
  }
}
