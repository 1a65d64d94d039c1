/** The benchmark's source data: many small files, or one large file, of random bytes. */
import { randomBytes } from 'node:crypto'
import { createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { once } from 'node:events'

export interface Dataset {
  name: string
  dir: string
  files: number
  bytes: number
}

/** `count` files of `size` bytes in `dir` (reused when already there with the same sizes). */
export function smallFiles(dir: string, count: number, size: number): Dataset {
  if (existsSync(dir) && readdirSync(dir).length !== count) rmSync(dir, { recursive: true })
  mkdirSync(dir, { recursive: true })
  for (let i = 0; i < count; i++) {
    const p = join(dir, `part-${String(i).padStart(5, '0')}.log`)
    if (!existsSync(p) || statSync(p).size !== size) writeFileSync(p, randomBytes(size))
  }
  return { name: `${count} x ${size >> 10} KiB`, dir, files: count, bytes: count * size }
}

/** One file of `size` bytes in `dir`, written in 8 MiB random blocks. */
export async function bigFile(dir: string, size: number): Promise<Dataset> {
  mkdirSync(dir, { recursive: true })
  const p = join(dir, 'big.bin')
  if (!existsSync(p) || statSync(p).size !== size) {
    const out = createWriteStream(p)
    const block = 8 << 20
    for (let done = 0; done < size; done += block) {
      if (!out.write(randomBytes(Math.min(block, size - done)))) await once(out, 'drain')
    }
    out.end()
    await once(out, 'finish')
  }
  return { name: `1 x ${size >= 1 << 30 ? `${size / 2 ** 30} GiB` : `${size >> 20} MiB`}`, dir, files: 1, bytes: size }
}
