// Open loggers are flushed and closed synchronously when the process (or worker) exits,
// so `process.exit()` loses nothing.

interface Closable {
  closeSync(): void
}

const open = new Set<Closable>()
let installed = false

function closeAll(): void {
  for (const l of [...open]) {
    try {
      l.closeSync()
    } catch (e) {
      process.stderr.write(`logferry: closing a logger at exit failed: ${(e as Error).message}\n`)
    }
  }
}

export function track(l: Closable): void {
  open.add(l)
  if (!installed) {
    installed = true
    process.on('exit', closeAll)
    process.on('beforeExit', closeAll)
  }
}

export function untrack(l: Closable): void {
  open.delete(l)
}
