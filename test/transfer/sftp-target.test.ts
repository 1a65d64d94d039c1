/**
 * Copies to SFTP (OpenSSH sshd) the fast way, checked on the real server: pipelined writes of
 * a large file in uneven chunks arrive byte-exact; many files over several connections; the
 * server-side sha256/md5 (a long-lived hash session) agrees with the bytes, and falls back to
 * reading back where the account has no tools; a server write failure in the middle of the
 * pipeline (a full disk) publishes nothing and leaves no temporary file; a directory removed
 * behind the filesystem's back is made again; the beforePublish hook's stat and sha256 of the
 * temp name are the server's answers (writeLocalFile and streams, small and large files).
 */
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SftpFileSystem, type FileSystem } from '../../ts/storage/index.js'
import { transferFiles } from '../../ts/transfer/index.js'
import { sftpOptions, sftpRoot } from '../servers/filesystems.js'
import { startSftp, type StartedSftp } from '../servers/sftp.js'

const MiB = 1 << 20
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex')

let server: StartedSftp
const opened: FileSystem[] = []
const local = mkdtempSync(join(tmpdir(), 'logferry-sftp-target-'))
let n = 0

beforeAll(async () => {
  server = await startSftp()
}, 120_000)
afterAll(async () => {
  await Promise.all(opened.map((fs) => fs.close().catch(() => undefined)))
  await server?.stop()
  rmSync(local, { recursive: true, force: true })
})

function sftp(extra: Partial<ConstructorParameters<typeof SftpFileSystem>[0]> = {}, rel = `t${++n}`): { fs: SftpFileSystem; dir: string } {
  const dir = sftpRoot(server, `sftp-target-${process.pid}/${rel}`)
  const fs = new SftpFileSystem({ ...sftpOptions(server, dir), ...extra })
  opened.push(fs)
  return { fs, dir }
}

/** `data` as a stream of chunks of varying sizes (1 B to ~300 KiB), so requests straddle chunks. */
function uneven(data: Buffer): Readable {
  const sizes = [1, 7, 32 << 10, (32 << 10) - 29, 300_001, 65_536, 229_347, 4095]
  const chunks: Buffer[] = []
  for (let at = 0, i = 0; at < data.length; i++) {
    const len = Math.min(sizes[i % sizes.length] as number, data.length - at)
    chunks.push(data.subarray(at, at + len))
    at += len
  }
  return Readable.from(chunks, { objectMode: false })
}

/** Every name in `dir` on the server's disk, hidden temporaries included. */
const onDisk = (dir: string): string[] => readdirSync(dir).sort()

describe('SFTP target', () => {
  it('a large file written in uneven chunks arrives byte-exact, over one connection or several', async () => {
    const data = randomBytes(40 * MiB + 12_345)
    for (const connections of [1, 4]) {
      const { fs, dir } = sftp({ connections })
      await pipeline(uneven(data), fs.createWriteStream('deep/big.bin'))
      const stored = readFileSync(join(dir, 'deep/big.bin'))
      expect(stored.length).toBe(data.length)
      expect(sha256(stored)).toBe(sha256(data))
      expect(onDisk(join(dir, 'deep'))).toEqual(['big.bin'])
    }
  }, 300_000)

  it('copies many files at once over several connections, each verified and byte-exact', async () => {
    const src = mkdtempSync(join(local, 'many-'))
    const content = new Map<string, Buffer>()
    for (let i = 0; i < 60; i++) {
      const data = randomBytes(i === 0 ? 0 : 1000 + i * 4099)
      const name = `d${i % 3}/f${i}.log`
      mkdirSync(join(src, `d${i % 3}`), { recursive: true })
      writeFileSync(join(src, name), data)
      content.set(name, data)
    }
    const { fs, dir } = sftp()
    const report = await transferFiles({ source: `file://${src}`, files: '**', target: fs, concurrency: 6 })
    expect(report.ok).toBe(true)
    expect(report.totals.copied).toBe(60)
    for (const [name, data] of content) {
      expect(sha256(readFileSync(join(dir, name)))).toBe(sha256(data))
      expect(report.files.find((f) => f.target === name)?.checksum).toBe(sha256(data))
    }
    for (const d of ['d0', 'd1', 'd2']) expect(onDisk(join(dir, d)).every((f) => /^f\d+\.log$/.test(f))).toBe(true)
  }, 120_000)

  it('hashes on the server (sha256, md5) what the file holds; a directory or a missing file is reported as such', async () => {
    const { fs, dir } = sftp()
    const data = randomBytes(3 * MiB + 1)
    await fs.writeFile('h/a.bin', data)
    expect(fs.capabilities.nativeChecksum.kinds).toEqual(['sha256'])
    const [s, m] = await Promise.all([fs.checksum('h/a.bin', 'sha256'), fs.checksum('h/a.bin', 'md5')])
    expect(s.value).toBe(sha256(data))
    expect(m.value).toBe(md5(data))
    // Changed on the server's disk behind the filesystem's back: the next hash sees the new bytes.
    const other = randomBytes(1000)
    writeFileSync(join(dir, 'h/a.bin'), other)
    expect((await fs.checksum('h/a.bin')).value).toBe(sha256(other))
    await expect(fs.checksum('h')).rejects.toMatchObject({ code: 'EISDIR' })
    await expect(fs.checksum('h/missing.bin')).rejects.toMatchObject({ code: 'ENOENT' })
    // A name with a line break cannot go to the hash session: read back instead.
    await fs.writeFile('h/line\nbreak.bin', data)
    expect((await fs.checksum('h/line\nbreak.bin')).value).toBe(sha256(data))
  }, 120_000)

  it('verifies by reading back where the account has no shell tools', async () => {
    const bare = await startSftp({ remoteRsync: false })
    try {
      const dir = sftpRoot(bare, `bare-${process.pid}`)
      const fs = new SftpFileSystem(sftpOptions(bare, dir))
      opened.push(fs)
      const src = mkdtempSync(join(local, 'bare-'))
      const data = randomBytes(2 * MiB + 3)
      writeFileSync(join(src, 'x.bin'), data)
      const report = await transferFiles({ source: `file://${src}`, files: '*', target: fs })
      expect(report.ok).toBe(true)
      expect(fs.capabilities.nativeChecksum.kinds).toEqual([])
      expect(sha256(readFileSync(join(dir, 'x.bin')))).toBe(sha256(data))
      await fs.close()
    } finally {
      await bare.stop()
    }
  }, 120_000)

  it('a server write failure in the middle of the pipeline (disk full) publishes nothing and leaves no temporary file', async () => {
    const { fs, dir } = sftp()
    const full = join(dir, 'full')
    mkdirSync(full)
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', full])
    try {
      const { uid, gid } = statSync(dir)
      chownSync(full, uid, gid)
      const data = randomBytes(24 * MiB)
      const err = await pipeline(uneven(data), fs.createWriteStream('full/big.bin')).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toMatchObject({ code: 'EIO' })
      expect(onDisk(full)).toEqual([])
      expect(await fs.exists('full/big.bin')).toBe(false)
      // The same connection goes on working.
      await fs.writeFile('full/small.txt', 'fits')
      expect(readFileSync(join(full, 'small.txt'), 'utf8')).toBe('fits')
    } finally {
      execFileSync('umount', [full])
    }
  }, 120_000)

  it('writeLocalFile and stream writes: the hook is answered by the server\'s hash of the temp file (size, mtime, sha256), also for a large file hashed while it is written', async () => {
    const { fs, dir } = sftp()
    const src = mkdtempSync(join(local, 'wlf-'))
    // Empty, one request, just over the in-memory limit (read in chunks), and one hashed on the
    // server while it is written (over 8 MiB).
    for (const size of [0, 100_000, 8 * MiB + 1, 20 * MiB + 7]) {
      const data = randomBytes(size)
      const name = `w/f${size}.bin`
      writeFileSync(join(src, 'in.bin'), data)
      const seen: { path: string; size: number; mtime: number; sha: string; final: boolean }[] = []
      const hook = (final: string) => async (staged: { path: string; read?: { bytes: number; sha256?: string } }): Promise<void> => {
        const info = await fs.stat(staged.path)
        const sum = await fs.checksum(staged.path, 'sha256')
        const onServer = statSync(join(dir, staged.path))
        seen.push({ path: staged.path, size: info.size, mtime: info.mtime.getTime() - onServer.mtimeMs, sha: sum.value, final: await fs.exists(final) })
        if (staged.read) expect(staged.read).toMatchObject({ bytes: size, sha256: sha256(data) })
      }
      const r = await fs.writeLocalFile(join(src, 'in.bin'), name, { checksums: ['sha256'], beforePublish: hook(name) })
      expect(r).toMatchObject({ bytes: size, sha256: sha256(data) })
      await pipeline(uneven(data), fs.createWriteStream(`${name}.s`, { beforePublish: hook(`${name}.s`) }))
      for (const n of [name, `${name}.s`]) expect(sha256(readFileSync(join(dir, n)))).toBe(sha256(data))
      expect(seen).toHaveLength(2)
      for (const e of seen) {
        expect(e.path).toMatch(/logferry-tmp/)
        expect(e).toMatchObject({ size, sha: sha256(data), final: false })
        expect(Math.abs(e.mtime)).toBeLessThan(1000)
      }
    }
    expect(onDisk(join(dir, 'w')).every((f) => /^f\d+\.bin(\.s)?$/.test(f))).toBe(true)
    // After the hook, stat and checksum ask the server again (the answer was only for the hook).
    writeFileSync(join(dir, 'w/f0.bin'), 'changed')
    expect((await fs.stat('w/f0.bin')).size).toBe(7)
    expect((await fs.checksum('w/f0.bin')).value).toBe(sha256(Buffer.from('changed')))
  }, 300_000)

  it('writeLocalFile of a local file that is not there fails with ENOENT and leaves nothing on the server', async () => {
    const { fs, dir } = sftp()
    await fs.mkdir('m')
    await expect(fs.writeLocalFile(join(local, 'nope.bin'), 'm/x.bin', { checksums: ['sha256'] })).rejects.toMatchObject({ code: 'ENOENT' })
    expect(onDisk(join(dir, 'm'))).toEqual([])
  }, 60_000)

  it('makes a directory again that was removed behind its back', async () => {
    const { fs, dir } = sftp()
    await fs.writeFile('a/b/one.txt', '1')
    rmSync(join(dir, 'a'), { recursive: true })
    await fs.writeFile('a/b/two.txt', '2')
    expect(readFileSync(join(dir, 'a/b/two.txt'), 'utf8')).toBe('2')
    expect(onDisk(join(dir, 'a/b'))).toEqual(['two.txt'])
  }, 60_000)
})
