/**
 * The test sshd's password login survives other sshds starting meanwhile (vitest runs test files
 * in parallel, each may start its own): all of them share the machine's one test password.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { SftpFileSystem } from '../../ts/storage/index.js'
import { startSftp, type StartedSftp } from './sftp.js'

const started: StartedSftp[] = []
afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()))
})

async function passwordLogin(s: StartedSftp): Promise<boolean> {
  const fs = new SftpFileSystem({ host: s.host, port: s.port, username: s.username, password: s.password, hostFingerprint: s.hostFingerprint, root: s.dataDir })
  try {
    return await fs.exists('')
  } finally {
    await fs.close()
  }
}

describe('test sshd password', () => {
  it('a second and third sshd started later leave the first one’s password login working', async () => {
    const first = await startSftp()
    started.push(first)
    expect(await passwordLogin(first)).toBe(true)
    started.push(...(await Promise.all([startSftp(), startSftp()])))
    expect(await passwordLogin(first)).toBe(true)
    for (const s of started) expect(s.password).toBe(first.password)
  }, 120_000)
})
