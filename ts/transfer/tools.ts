/** Finds the external tools the CLI methods run: hadoop and OpenSSH scp. */
import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { TransferError } from './errors.js'

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    const p = join(dir, name)
    if (executable(p)) return p
  }
  return undefined
}

function unavailable(message: string): TransferError {
  return new TransferError('ERR_METHOD_UNAVAILABLE', message)
}

/**
 * The hadoop executable: `bin` when given (it must exist), else $HADOOP_HOME/bin/hadoop, else
 * `hadoop` on PATH. Throws ERR_METHOD_UNAVAILABLE naming what is missing.
 */
export function findHadoop(bin: string | undefined): string {
  if (bin !== undefined) {
    if (executable(bin)) return bin
    throw unavailable(`hadoop executable not found at '${bin}' (option hadoop.bin)`)
  }
  const home = process.env.HADOOP_HOME
  if (home) {
    const p = join(home, 'bin', 'hadoop')
    if (executable(p)) return p
  }
  const found = onPath('hadoop')
  if (found) return found
  throw unavailable(`no hadoop executable: set the hadoop.bin option or HADOOP_HOME, or put hadoop on PATH${home ? ` ($HADOOP_HOME/bin/hadoop missing in '${home}')` : ''}`)
}

/** OpenSSH scp: `bin` when given, else `scp` on PATH. */
export function findScp(bin: string | undefined): string {
  if (bin !== undefined) {
    if (executable(bin)) return bin
    throw unavailable(`scp executable not found at '${bin}' (option scp.bin)`)
  }
  const found = onPath('scp')
  if (found) return found
  throw unavailable('no scp executable on PATH (install OpenSSH client or set the scp.bin option)')
}
