/** One way the CLI tests run a child process to its end and keep what it printed. */
import { spawn } from 'node:child_process'

export interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `node ...args` (stdin closed) and resolves with its exit code and output. */
export function runNode(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    child.on('error', fail)
    child.on('close', (code) => done({ code, stdout, stderr }))
  })
}
