// First-use polish of the command line (the built dist/cli.js as a child process): whole bytes
// in rates, `logferry --version`, and missing S3 credentials reported once, before any copy,
// naming where they were looked for.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { formatBytes, formatRate } from '../../ts/cli/format.js'

const CLI = resolve('dist/cli.js')
const dir = mkdtempSync(join(tmpdir(), 'logferry-cli-polish-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The environment without any AWS setting, HOME an empty directory, no instance metadata. */
function bareEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')))
  const home = mkdtempSync(join(dir, 'home-'))
  return { ...env, HOME: home, AWS_EC2_METADATA_DISABLED: 'true', ...extra }
}

function cli(args: string[], env: NodeJS.ProcessEnv = process.env): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', timeout: 60_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('rates and sizes', () => {
  it('print whole bytes below 1 KiB, as the table does', () => {
    expect(formatRate(2100, 5300)).toBe('396 B/s')
    expect(formatBytes(396.22641509433964)).toBe('396 B')
    expect(formatBytes(1023)).toBe('1023 B')
    expect(formatRate(3 * 1024 * 1024, 2000)).toBe('1.50 MiB/s')
  })
})

describe('logferry --version', () => {
  it("prints the package's version", () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }
    const r = cli(['--version'])
    expect(r).toMatchObject({ code: 0, stdout: `logferry ${version}\n` })
  })
})

describe('missing S3 credentials', () => {
  const src = join(dir, 'a.log')
  writeFileSync(src, 'one line\n')
  // Nothing listens on port 9: a copy that started would fail on connecting, not on credentials.
  const target = 's3://bucket/logs?endpoint=http://127.0.0.1:9'

  it('are one ERR_NO_CREDENTIALS before any copy, naming the variables and files looked in', () => {
    const env = bareEnv()
    const r = cli(['transfer', src, target, '--retries', '0'], env)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    const lines = r.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^logferry transfer: ERR_NO_CREDENTIALS: no AWS credentials for s3:\/\/bucket/)
    for (const looked of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE', join(env.HOME as string, '.aws', 'credentials')]) {
      expect(lines[0]).toContain(looked)
    }
  })

  it('present in the environment, the copy is attempted (and fails on the connection instead)', () => {
    const r = cli(['transfer', src, target, '--retries', '0'], bareEnv({ AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' }))
    expect(r.stderr).not.toContain('ERR_NO_CREDENTIALS')
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/1 files: 0 copied, 0 skipped, 1 failed/)
  })

  it('given in the URL, they count too', () => {
    const r = cli(['transfer', src, `${target}&key=test&secret=test`, '--retries', '0'], bareEnv())
    expect(r.stderr).not.toContain('ERR_NO_CREDENTIALS')
    expect(r.code).toBe(1)
  })
})
