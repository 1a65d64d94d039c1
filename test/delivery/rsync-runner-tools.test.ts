// The rsync runner's local side: the tool check done once per binary, a binary gone since then
// still reported as missing (the fallback's signal), the ssh cipher preference, the itemised
// output read from a file while rsync runs (every item, in order).
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { AES_FIRST_CIPHERS, type RsyncItem, RsyncUnavailableError, runRsync, sshArgs } from '../../ts/delivery/rsync.js'
import { runCommand } from '../../ts/transfer/run-command.js'

const work = mkdtempSync(join(tmpdir(), 'lf-rsync-tools-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('rsync runner, local side', () => {
  it('a local rsync removed after its first check is reported missing (ERR_RSYNC_MISSING_LOCAL), not as a failed run', async () => {
    const bin = join(work, 'fake-rsync')
    // Answers --version like rsync, and runs the real rsync otherwise.
    writeFileSync(bin, '#!/bin/sh\nexec rsync "$@"\n')
    chmodSync(bin, 0o755)
    const src = join(work, 'src')
    mkdirSync(src)
    writeFileSync(join(src, 'a.log'), 'a\n')
    const first = await runRsync({ from: `${src}/`, to: join(work, 'dst1'), rsyncPath: bin, retries: 0 })
    expect(first.filesTransferred).toBe(1)
    rmSync(bin)
    const err = await runRsync({ from: `${src}/`, to: join(work, 'dst2'), rsyncPath: bin, retries: 0 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RsyncUnavailableError)
    expect((err as RsyncUnavailableError).code).toBe('ERR_RSYNC_MISSING_LOCAL')
  })

  it('every itemised line reaches onItem, in rsync order, with the result listing the same files', async () => {
    const src = join(work, 'many')
    mkdirSync(join(src, 'sub'), { recursive: true })
    const names: string[] = []
    for (let i = 0; i < 300; i++) {
      const n = i % 3 === 0 ? `sub/f-${i}.log` : `f-${i}.log`
      writeFileSync(join(src, n), `line ${i}\n`)
      names.push(n)
    }
    const seen: RsyncItem[] = []
    const r = await runRsync({ from: `${src}/`, to: join(work, 'many-dst'), retries: 0, onItem: (i) => seen.push(i) })
    const files = seen.filter((i) => i.type === 'file').map((i) => i.path)
    expect(new Set(files)).toEqual(new Set(names))
    expect(files.length).toBe(names.length)
    expect(r.items.map((i) => i.path)).toEqual(seen.map((i) => i.path))
    expect(r.filesTransferred).toBe(300)
  })

  it('ssh prefers AES-GCM only when told or where the CPU has AES; null leaves ssh its own choice', () => {
    const t = { host: 'h', controlDir: null }
    expect(sshArgs({ ...t, ciphers: null }).some((a) => a.startsWith('Ciphers='))).toBe(false)
    expect(sshArgs({ ...t, ciphers: 'aes256-ctr' })).toContain('Ciphers=aes256-ctr')
    const aes = /^(flags|Features)\s*:.*\baes\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'))
    expect(sshArgs(t).includes(`Ciphers=${AES_FIRST_CIPHERS}`)).toBe(aes)
  })
})

describe('runCommand stdoutFd', () => {
  it("the child's stdout goes to the descriptor, the result's stdout is empty", async () => {
    const { openSync, closeSync } = await import('node:fs')
    const file = join(work, 'out.txt')
    const fd = openSync(file, 'w')
    try {
      const r = await runCommand('sh', ['-c', 'echo to-file; echo to-stderr >&2'], { stdoutFd: fd })
      expect(r.stdout).toBe('')
      expect(r.stderr).toBe('to-stderr\n')
    } finally {
      closeSync(fd)
    }
    expect(readFileSync(file, 'utf8')).toBe('to-file\n')
  })
})
