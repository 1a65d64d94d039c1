// `npm pack` produces a package that installs and runs in an empty directory: the tarball
// carries dist/ with the native binary built for this platform.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { readDir, removeDir, tempDir } from './helpers.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const dirs: string[] = []
afterAll(() => dirs.forEach(removeDir))

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

describe('npm pack', () => {
  it('the packed tarball installs into an empty project and logs', () => {
    const tmp = tempDir('logferry-pack-')
    dirs.push(tmp)
    const out = execFileSync(npm, ['pack', '--json', '--pack-destination', tmp], {
      cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    })
    const [info] = JSON.parse(out) as { filename: string; files: { path: string }[] }[]
    const paths = info!.files.map((f) => f.path)
    for (const p of ['package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/binding.cjs', 'dist/logger.js', 'dist/read-log-file.js']) {
      expect(paths, p).toContain(p)
    }
    const binaries = paths.filter((p) => /^dist\/logferry\..*\.node$/.test(p))
    expect(binaries.length).toBeGreaterThanOrEqual(1)
    expect(paths.some((p) => p.startsWith('test/') || p.startsWith('crates/') || p.startsWith('ts/'))).toBe(false)
    const tgz = join(tmp, info!.filename)
    expect(existsSync(tgz)).toBe(true)

    const proj = join(tmp, 'proj')
    mkdirSync(proj)
    writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'pack-check', version: '1.0.0', private: true }))
    execFileSync(npm, ['install', tgz, '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: proj, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 100_000,
    })
    const installed = join(proj, 'node_modules', 'logferry', 'dist')
    expect(readdirSync(installed).some((f) => f.endsWith('.node'))).toBe(true)

    const logDir = join(tmp, 'logs')
    const logPath = join(logDir, 'pack.log')
    const script = `import { readdirSync } from 'node:fs'
      import { join } from 'node:path'
      import('logferry').then((m) => {
        const l = new m.Logger({ logFilePath: ${JSON.stringify(logPath)} })
        l.log('x')
        l.logBytes(Buffer.from('from the packed package'))
        l.closeSync()
        const files = readdirSync(${JSON.stringify(logDir)})
        const recs = m.readLogFileSync(join(${JSON.stringify(logDir)}, files[0])).records.map(String)
        process.stdout.write(JSON.stringify({ files: files.length, recs, resolved: import.meta.resolve('logferry') }))
      })`
    const res = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: proj, encoding: 'utf8' })) as {
      files: number; recs: string[]; resolved: string
    }
    expect(fileURLToPath(res.resolved)).toBe(join(proj, 'node_modules', 'logferry', 'dist', 'index.js'))
    expect(res).toMatchObject({ files: 1, recs: ['x', 'from the packed package'] })
    // and the parent reads the same file with its own build
    expect(readDir(logDir).records.map(String)).toEqual(['x', 'from the packed package'])
  })
})
