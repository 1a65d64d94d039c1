/**
 * transferFiles' chunkSize (and `logferry transfer --chunk-size`, FileTransferManager's
 * transferOptions) reaching the part size of a real S3 multipart upload on moto: the part count
 * is read from the object's ETag ("<md5>-<parts>", S3's own record of the upload), so a size
 * that did not reach the upload, or a store minimum not respected, shows as another count.
 * Bad values are refused with ERR_INVALID_ARG before anything is written.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { s3Sdk } from '../../ts/storage/sdk.js'
import { filesystem, type S3FileSystem } from '../../ts/storage/index.js'
import { FileTransferManager, transferFiles } from '../../ts/transfer/index.js'
import { transferCli } from '../cli/transfer-seed-helpers.js'
import { inCI } from '../servers/ci.js'
import { s3Options } from '../servers/filesystems.js'
import { suiteServers } from '../servers/suite-servers.js'

const servers = await suiteServers(['s3'])
const skip = !inCI && servers.s3 === undefined

const MiB = 1 << 20
const tmp = mkdtempSync(join(tmpdir(), 'logferry-chunk-size-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
// 21 MiB: 3 parts of 8 MiB, 5 of the 5 MiB S3 minimum, one PUT at the default 32 MiB.
const big = randomBytes(21 * MiB)
mkdirSync(join(tmp, 'src'))
writeFileSync(join(tmp, 'src', 'big.bin'), big)
const srcFile = join(tmp, 'src', 'big.bin')
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

const run = `chunk-size-${Date.now().toString(36)}`
let n = 0
const opened: S3FileSystem[] = []
afterAll(async () => Promise.all(opened.map((f) => f.close())))
function s3(): { fs: S3FileSystem; prefix: string } {
  const prefix = `${run}/${++n}`
  const fs = filesystem({ protocol: 's3', ...s3Options(servers, prefix) }) as S3FileSystem
  opened.push(fs)
  return { fs, prefix }
}

/** Parts of the upload that wrote `path` (1 for a single PUT), from S3's ETag. */
async function partsOf(fs: S3FileSystem, path: string): Promise<number> {
  const { HeadObjectCommand } = s3Sdk()
  const h = await fs.client.send(new HeadObjectCommand({ Bucket: fs.bucket, Key: fs.objectKey(path) }))
  const m = /-(\d+)"?$/.exec(h.ETag ?? '')
  return m ? Number(m[1]) : 1
}

describe.skipIf(skip)('chunkSize: the part size of chunked copies (S3 multipart on moto)', () => {
  it('reaches the multipart upload as its part size, raised to the S3 minimum, default unchanged', async () => {
    for (const [chunkSize, parts] of [['8MiB', 3], [8 * MiB, 3], ['1 MiB', 5], [undefined, 1]] as const) {
      const { fs } = s3()
      const r = await transferFiles({ files: srcFile, target: fs, preserveStructure: false, method: 'storage', ...(chunkSize !== undefined ? { chunkSize } : {}) })
      expect(r.ok, String(chunkSize)).toBe(true)
      expect(await partsOf(fs, 'big.bin'), String(chunkSize)).toBe(parts)
      expect(sha(await fs.readFile('big.bin'))).toBe(sha(big))
    }
  }, 180_000)

  it('refuses bad values with ERR_INVALID_ARG naming chunkSize, and with a method that does not use it', async () => {
    const { fs } = s3()
    for (const [chunkSize, message] of [
      ['12 parsecs', /chunkSize "12 parsecs" is not a size/],
      [1000, /chunkSize 1000 is below the smallest part size, 64 KiB/],
      ['5GiB', /chunkSize 5368709120 is above the largest part size every store takes, 4000 MiB/],
      [-1, /chunkSize -1 is not a size/],
      [true, /chunkSize/],
    ] as const) {
      await expect(transferFiles({ files: srcFile, target: fs, chunkSize: chunkSize as number })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(message) as unknown })
    }
    await expect(transferFiles({ files: srcFile, target: fs, method: 'distcp', chunkSize: '8MiB' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(/chunkSize is only used by the 'storage' method/) as unknown })
    await expect(transferFiles({ files: srcFile, target: fs, chunksize: '8MiB' } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(/did you mean 'chunkSize'/) as unknown })
    expect(await fs.exists('big.bin')).toBe(false)
  })

  it('FileTransferManager: transferOptions.chunkSize reaches the parts', async () => {
    const { fs } = s3()
    const m = new FileTransferManager({ targetFs: fs, transferOptions: { chunkSize: '8MiB', preserveStructure: false } })
    expect(await m.transferFiles([srcFile])).toBe(true)
    expect(await partsOf(fs, 'big.bin')).toBe(3)
  }, 120_000)

  it('logferry transfer --chunk-size: the flag reaches the parts; a bad value exits 2 with ERR_INVALID_ARG', async () => {
    const server = servers.s3 as { endpoint: string; bucket: string }
    const { fs, prefix } = s3()
    const url = `s3://${server.bucket}/${prefix}?endpoint=${encodeURIComponent(server.endpoint)}&region=us-east-1&key=test&secret=test`
    const ok = await transferCli([srcFile, url, '--flat', '--no-distcp', '--chunk-size', '8MiB', '--json'])
    expect(ok.stderr).toBe('')
    expect(ok.code).toBe(0)
    expect(await partsOf(fs, 'big.bin')).toBe(3)
    const bad = await transferCli([srcFile, url, '--chunk-size', '12 parsecs'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('ERR_INVALID_ARG: chunkSize "12 parsecs" is not a size')
  }, 120_000)
})
