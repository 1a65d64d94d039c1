/**
 * runCommand, which runs hadoop and scp: real child processes (sh, sleep) for exit codes,
 * bounded stderr, timeouts, AbortSignal killing the process, and a missing executable.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CommandError, TransferAbortError } from '../../ts/transfer/errors.js'
import { runCommand } from '../../ts/transfer/run-command.js'

describe('runCommand', () => {
  it('resolves with the output of a command that exits 0', async () => {
    const r = await runCommand('sh', ['-c', 'echo out; echo err >&2'])
    expect(r).toMatchObject({ stdout: 'out\n', stderr: 'err\n' })
  })

  it('rejects a non-zero exit with the code, the last stderr lines and a transient/permanent verdict', async () => {
    const perm = await runCommand('sh', ['-c', 'echo "put: /x: No such file or directory" >&2; exit 1']).catch((e: unknown) => e)
    expect(perm).toBeInstanceOf(CommandError)
    expect(perm).toMatchObject({ code: 'ERR_COMMAND_FAILED', exitCode: 1, transient: false })
    expect((perm as Error).message).toContain('No such file or directory')
    const trans = await runCommand('sh', ['-c', 'echo "java.net.ConnectException: Connection refused" >&2; exit 255']).catch((e: unknown) => e)
    expect(trans).toMatchObject({ exitCode: 255, transient: true })
  })

  it('keeps only the end of a huge stderr', async () => {
    const err = (await runCommand('sh', ['-c', 'head -c 1000000 /dev/zero | tr "\\0" x >&2; echo LAST >&2; exit 3'], { maxOutput: 4096 }).catch(
      (e: unknown) => e,
    )) as CommandError
    expect(err.stderr.length).toBeLessThanOrEqual(4096 + 3)
    expect(err.stderr.endsWith('LAST\n')).toBe(true)
  })

  it('kills the process on timeout (transient) and on abort (AbortError)', async () => {
    const t = (await runCommand('sleep', ['30'], { timeoutMs: 200 }).catch((e: unknown) => e)) as CommandError
    expect(t).toMatchObject({ code: 'ERR_COMMAND_FAILED', timedOut: true, transient: true })

    const pidFile = join(mkdtempSync(join(tmpdir(), 'logferry-run-')), 'pid')
    const ac = new AbortController()
    // The shell writes its pid, then becomes sleep (same pid).
    const p = runCommand('sh', ['-c', `echo $$ > ${pidFile}; exec sleep 30`], { signal: ac.signal })
    for (let i = 0; i < 100 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 20))
    await new Promise((r) => setTimeout(r, 50))
    const pid = Number(readFileSync(pidFile, 'utf8').trim())
    expect(existsSync(`/proc/${pid}`)).toBe(true)
    ac.abort(new Error('stop'))
    await expect(p).rejects.toBeInstanceOf(TransferAbortError)
    // Rejected only after the child exited and was reaped.
    expect(existsSync(`/proc/${pid}`)).toBe(false)
  })

  it('fails cleanly when the executable does not exist', async () => {
    const err = await runCommand('/nonexistent/hadoop', ['fs']).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'ERR_COMMAND_FAILED', exitCode: null, transient: false })
  })
})
