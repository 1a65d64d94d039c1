/**
 * The collector's ssh ControlMaster sockets live in a private directory of their own, recorded
 * in `STATE_DIR/ssh-control.json`. Master connections are daemons (ssh forks them off; they
 * outlive rsync by ControlPersist), so a collector killed with -9 leaves them running: the next
 * collector, which holds the state store's owner lock and so knows no other one runs, stops the
 * recorded masters (`ssh -O exit`) and removes their directory before it opens its own.
 * rsync and ssh themselves die with the collector (runCommand's dieWithParent).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const RECORD = 'ssh-control.json'

interface ControlRecord {
  dir: string
  pid: number
}

/** Stops every master listening in `dir` and removes it. */
function stopMasters(dir: string): void {
  if (!existsSync(dir)) return
  for (const name of readdirSync(dir)) {
    // The path is literal (no %C tokens), so the host argument is only syntax.
    spawnSync('ssh', ['-o', `ControlPath=${join(dir, name)}`, '-O', 'exit', 'stale-master'], { stdio: 'ignore', timeout: 10_000 })
  }
  rmSync(dir, { recursive: true, force: true })
}

function readRecord(stateDir: string): ControlRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(join(stateDir, RECORD), 'utf8')) as Partial<ControlRecord>
    return typeof r.dir === 'string' && r.dir.includes('lf-collect-ssh-') ? { dir: r.dir, pid: Number(r.pid) } : undefined
  } catch {
    return undefined
  }
}

export interface ControlDir {
  readonly dir: string
  /** What an earlier, killed collector left: its recorded directory (now cleaned), if any. */
  readonly stale: string | undefined
  close(): void
}

/** Cleans what a killed collector left, then makes and records this one's directory (0700). */
export function openControlDir(stateDir: string): ControlDir {
  const old = readRecord(stateDir)
  if (old) stopMasters(old.dir)
  // Short on purpose: a unix socket path has at most ~104 bytes, and ssh adds a suffix.
  const dir = mkdtempSync(join(tmpdir(), 'lf-collect-ssh-'))
  const tmp = join(stateDir, `${RECORD}.${process.pid}.tmp`)
  writeFileSync(tmp, JSON.stringify({ dir, pid: process.pid } satisfies ControlRecord))
  renameSync(tmp, join(stateDir, RECORD))
  let closed = false
  return {
    dir,
    stale: old?.dir,
    close() {
      if (closed) return
      closed = true
      stopMasters(dir)
      rmSync(join(stateDir, RECORD), { force: true })
    },
  }
}
