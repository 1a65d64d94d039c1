// process.exit() and a natural end lose nothing: a child process logs 100k records and ends
// without flush() or close(); the parent finds every record in the files.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { expectExactlyOnce, range, readDir, removeDir, tempDir } from './helpers.js'

const dirs: string[] = []
afterAll(() => dirs.forEach(removeDir))

const fixture = fileURLToPath(new URL('./fixtures/child-exit.mjs', import.meta.url))

function runChild(mode: string, format: string, count: number): { dir: string; status: number | null; stdout: string } {
  const dir = tempDir()
  dirs.push(dir)
  const r = spawnSync(process.execPath, [fixture, join(dir, 'exit.log'), mode, format, String(count)], {
    encoding: 'utf8',
    timeout: 60_000,
  })
  if (r.error) throw r.error
  expect(r.stderr).toBe('')
  return { dir, status: r.status, stdout: r.stdout }
}

describe('records survive the end of the process', () => {
  const N = 100_000
  for (const [mode, format, code] of [
    ['exit', 'text', 0],
    ['exit', 'framed', 0],
    ['exit-batch', 'text', 0],
    ['exit-code', 'text', 3],
    ['natural', 'text', 0],
    ['natural', 'framed', 0],
  ] as const) {
    it(`${mode} (${format}): all ${N} records are in the sealed files`, () => {
      const { dir, status } = runChild(mode, format, N)
      expect(status).toBe(code)
      // closed at exit: nothing left at the active path, everything sealed
      expect(existsSync(join(dir, 'exit.log'))).toBe(false)
      const { files, records } = readDir(dir)
      expect(files.length).toBeGreaterThanOrEqual(1)
      expectExactlyOnce(records, range(0, N))
    })
  }
})

describe('sealed events at the end of the process', () => {
  it('a natural end with an open logger is not held up by sealed-event delivery, and every sealed file reaches the listener', () => {
    const { dir, status, stdout } = runChild('natural-sealed', 'text', 100_000)
    expect(status).toBe(0)
    const { files, records } = readDir(dir)
    expect(files.length).toBeGreaterThan(2) // rotations during the run, one more at exit
    expect([...(JSON.parse(stdout) as string[])].sort()).toEqual(files)
    expectExactlyOnce(records, range(0, 100_000))
  })
})
