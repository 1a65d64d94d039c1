/**
 * GCS-only: parallel composite uploads and compose beyond the 32-component limit, on
 * fake-gcs-server.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { GcsFileSystem } from '../../ts/storage/index.js'
import { servers } from './backends.js'
import { MiB, payload, upload } from './helpers.js'
import { inCI } from '../servers/ci.js'

const gcs = servers().gcs

describe.skipIf(!gcs && !inCI)('gcs composite uploads', () => {
  const make = (): GcsFileSystem => {
    if (!gcs) throw new Error('gcs server missing')
    return new GcsFileSystem({
      bucket: gcs.bucket,
      apiEndpoint: gcs.endpoint,
      projectId: 'test',
      prefix: `compose-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`,
      compositePartSize: MiB,
      compositeParallelism: 4,
    })
  }

  it('uploads 41 parts in parallel and composes them in two rounds', async () => {
    const fs = make()
    try {
      const data = payload(40 * MiB + 5)
      await upload(fs, 'big.bin', data.chunks())
      expect((await fs.checksum('big.bin')).value).toBe(data.sha256)
      expect((await fs.stat('big.bin')).size).toBe(40 * MiB + 5)
      // No part or intermediate object is left behind, hidden or not.
      const [files] = await fs.bucket.getFiles({ prefix: (fs as unknown as { prefix: string }).prefix })
      expect(files.map((f) => f.name.split('/').pop())).toEqual(['big.bin'])
      await fs.writeFile('empty.bin', '')
      expect((await fs.stat('empty.bin')).size).toBe(0)
    } finally {
      await fs.close()
    }
  }, 120_000)

  it('composes 70 objects in order', async () => {
    const fs = make()
    try {
      const parts = Array.from({ length: 70 }, () => randomBytes(1000 + Math.floor(Math.random() * 1000)))
      await Promise.all(parts.map((p, i) => fs.writeFile(`parts/${String(i).padStart(3, '0')}`, p)))
      await fs.compose(
        parts.map((_, i) => `parts/${String(i).padStart(3, '0')}`),
        'joined.bin',
      )
      expect((await fs.readFile('joined.bin')).equals(Buffer.concat(parts))).toBe(true)
      expect((await fs.ls('')).map((e) => e.name).sort()).toEqual(['joined.bin', 'parts'])
    } finally {
      await fs.close()
    }
  }, 120_000)
})
