/**
 * The persisted queue survives SIGKILL: a child process logs with an attached uploader whose
 * target is down and is killed; a fresh uploader with the same stateDir and the server up
 * uploads every queued file, and a new logger on the same path seals the killed run's active
 * file, which is uploaded too: every record arrives exactly once.
 */
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { Logger, createUploader, type UploadedFile } from '../../ts/index.js'
import { readUploaderState } from '../../ts/uploader/state-store.js'
import { freePort } from '../servers/process.js'
import { scratchDir } from './helpers.js'
import { range, recordIds } from './records.js'
import { sha256File, targets, uploaderServers } from './targets.js'
import { inCI } from '../servers/ci.js'

const info = await uploaderServers(['s3'])
const s3 = targets(info).find((t) => t.name === 's3')

function runUntilReady(args: string[]): Promise<{ pid: number; line: string; exited: Promise<NodeJS.Signals | null> }> {
  const fixture = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)))
  let out = ''
  let err = ''
  child.stderr.on('data', (c: Buffer) => (err += c.toString()))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`child not ready in 60 s; stderr: ${err}`))
    }, 60_000)
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString()
      const line = out.split('\n').find((l) => l.startsWith('READY'))
      if (line) {
        clearTimeout(timer)
        resolve({ pid: child.pid ?? 0, line, exited })
      }
    })
    exited.then(() => {
      clearTimeout(timer)
      reject(new Error(`child exited before READY; stderr: ${err}`))
    })
  })
}

describe.skipIf(s3?.missing !== undefined && !inCI)('persisted queue across SIGKILL', () => {
  it('uploads, after a restart with the target up, every file sealed while it was down, and the killed run\'s active file', async () => {
    const dir = scratchDir()
    const stateDir = join(dir, '.uploader-state')
    const count = 3000
    const child = await runUntilReady([dir, stateDir, String(await freePort()), String(count)])
    process.kill(child.pid, 'SIGKILL')
    expect(await child.exited).toBe('SIGKILL')

    const sealedBefore = readdirSync(dir).filter((n) => /^app_.*\.log$/.test(n)).sort()
    expect(sealedBefore.length).toBeGreaterThan(3)
    const journal = readUploaderState(stateDir).queued
    expect(journal.map((e) => e.path.split('/').pop()).sort()).toEqual(sealedBefore)
    expect(readdirSync(dir)).toContain('app.log') // the killed run's active file, not sealed

    const fs = s3?.make()
    if (!fs) throw new Error('no s3')
    // 1. The journal alone (no logger, no directory scan): every queued file is uploaded.
    const u1 = createUploader({ target: fs, stateDir, scanExisting: false, retryDelay: 20 })
    const first: UploadedFile[] = []
    u1.on('uploaded', (f) => first.push(f))
    await u1.drain()
    expect(u1.stats()).toMatchObject({ totalFiles: sealedBefore.length, successful: sealedBefore.length, failed: 0, pending: 0 })
    expect(first.map((f) => f.objectName).sort()).toEqual(sealedBefore)
    await u1.close()

    // 2. A new logger on the same path seals the leftover active file; the uploader takes it.
    const u2 = createUploader({ target: fs, stateDir, retryDelay: 20 })
    const second: UploadedFile[] = []
    u2.on('uploaded', (f) => second.push(f))
    const logger = new Logger({ logFilePath: join(dir, 'app.log'), maxFileSize: 16 * 1024, bufferSize: 8192, numShards: 1, preallocateFileSize: 0 })
    u2.attach(logger)
    await logger.close()
    await u2.drain()
    await u2.close()
    const sealedAfter = readdirSync(dir).filter((n) => /^app_.*\.log$/.test(n)).sort()
    expect(sealedAfter.length).toBeGreaterThan(sealedBefore.length)
    // Nothing uploaded twice: the second uploader only took the files the first did not know.
    expect(second.map((f) => f.objectName).sort()).toEqual(sealedAfter.filter((n) => !sealedBefore.includes(n)))

    const contents: Buffer[] = []
    for (const n of sealedAfter) {
      expect((await fs.checksum(n, 'sha256')).value).toBe(await sha256File(join(dir, n)))
      contents.push(await fs.readFile(n))
    }
    expect(recordIds(contents)).toEqual(range(count))
    await fs.close()
  })
})
