// A Rust panic in the binding reaches JavaScript as a LogferryError coded ERR_PANIC and Node
// lives on. The binding's test-only entry points (__testPanicSync, __testPanicAsync:
// crates/node/src/test_panic.rs) panic on purpose through the two paths every real entry point
// takes: a synchronous call and a task on a libuv worker thread.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { native } from '../../ts/native.js'
import { call, callAsync, LogferryError } from '../../ts/errors.js'
import { Logger } from '../../ts/logger.js'
import { readLogFileSync } from '../../ts/read-log-file.js'

const dir = mkdtempSync(join(tmpdir(), 'logferry-panic-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function expectPanic(err: unknown): void {
  expect(err).toBeInstanceOf(LogferryError)
  expect((err as LogferryError).code).toBe('ERR_PANIC')
  expect((err as LogferryError).message).toMatch(/panicked/)
}

describe('a panic in the binding', () => {
  it('on the JS thread throws ERR_PANIC', () => {
    let caught: unknown
    try {
      call(() => native.__testPanicSync())
    } catch (e) {
      caught = e
    }
    expectPanic(caught)
  })

  it('on a worker thread rejects with ERR_PANIC', async () => {
    const caught = await callAsync(() => native.__testPanicAsync()).then(
      () => undefined,
      (e: unknown) => e,
    )
    expectPanic(caught)
  })

  it('leaves the engine usable: a logger opened after both panics writes and closes', async () => {
    expect(() => call(() => native.__testPanicSync())).toThrow(LogferryError)
    await expect(callAsync(() => native.__testPanicAsync())).rejects.toThrow(LogferryError)
    const l = new Logger({ logFilePath: join(dir, 'after.log') })
    const sealed: string[] = []
    l.on('sealed', (p) => sealed.push(p))
    l.log('after the panics')
    await l.close()
    expect(sealed).toHaveLength(1)
    expect(readLogFileSync(sealed[0] as string).records.map(String)).toEqual(['after the panics'])
  })

  it('leaves the process alive: a child that panics twice exits 0 after its own work', () => {
    const code = `
      const { native } = await import('./ts/native.ts')
      const { call, callAsync } = await import('./ts/errors.ts')
      const codes = []
      try { call(() => native.__testPanicSync()) } catch (e) { codes.push(e.code) }
      await callAsync(() => native.__testPanicAsync()).catch((e) => codes.push(e.code))
      await new Promise((r) => setTimeout(r, 50))
      process.stdout.write(JSON.stringify(codes))`
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: join(import.meta.dirname, '../..'),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    expect(JSON.parse(out)).toEqual(['ERR_PANIC', 'ERR_PANIC'])
  })
})
