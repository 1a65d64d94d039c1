/** What one test file opens (filesystems, clients), closed after its tests whatever they left open. */
import { afterAll } from 'vitest'

export interface Closable {
  close(): Promise<unknown>
}

/**
 * Call at the top of a test file: returns `keep`, which records what it is given and hands it
 * back; everything kept is closed after the file's tests (a close that fails is ignored: the
 * tests have spoken by then).
 */
export function closedAfterAll(): <T extends Closable>(opened: T) => T {
  const kept: Closable[] = []
  afterAll(async () => {
    await Promise.all(kept.map((c) => c.close().catch(() => undefined)))
  })
  return (opened) => {
    kept.push(opened)
    return opened
  }
}
