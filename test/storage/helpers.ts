/** Data generation and assertions shared by the storage suites. */
import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { expect } from 'vitest'
import { type FileSystem, type StorageErrorCode, isStorageError } from '../../ts/storage/index.js'

export const MiB = 1 << 20

/** `size` bytes in 1 MiB chunks, each a random block stamped with its index, plus their sha256. */
export function payload(size: number, seed = randomBytes(MiB)): { chunks: () => Readable; sha256: string; size: number } {
  function* gen(): Generator<Buffer> {
    for (let off = 0, i = 0; off < size; off += MiB, i++) {
      const c = Buffer.from(seed.subarray(0, Math.min(MiB, size - off)))
      if (c.length >= 8) c.writeUInt32BE(i, 0)
      if (c.length >= MiB) c.writeUInt32BE(i, MiB / 2)
      yield c
    }
  }
  const h = createHash('sha256')
  for (const c of gen()) h.update(c)
  return { chunks: () => Readable.from(gen()), sha256: h.digest('hex'), size }
}

export async function upload(fs: FileSystem, path: string, data: Readable): Promise<void> {
  await pipeline(data, fs.createWriteStream(path))
}

export async function sha256Of(fs: FileSystem, path: string): Promise<string> {
  const h = createHash('sha256')
  for await (const c of fs.createReadStream(path)) h.update(c as Buffer)
  return h.digest('hex')
}

/** Asserts that `p` rejects with a StorageError of `code`. */
export async function expectCode(p: Promise<unknown>, code: StorageErrorCode): Promise<void> {
  let caught: unknown
  try {
    await p
  } catch (err) {
    caught = err
  }
  expect(caught, `expected ${code}`).toBeDefined()
  if (!isStorageError(caught)) throw caught
  expect(caught.code, caught.message).toBe(code)
}
