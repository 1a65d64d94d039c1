/** GCS: fake-gcs-server (Go module, installed by install.sh) on 127.0.0.1 over HTTP. */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { SERVERS_DIR, freePort, httpOk, spawnManaged, waitFor } from './process.js'
import type { GcsServer } from './types.js'

export interface StartedGcs extends GcsServer {
  port: number
  stop(): Promise<void>
  kill(): Promise<void>
}

export interface GcsStartOptions {
  port?: number
  bucket?: string
  /** Keep objects on disk here (survives a restart) instead of in memory. */
  dataDir?: string
}

export async function startGcs(opts: GcsStartOptions = {}): Promise<StartedGcs> {
  const bin = join(SERVERS_DIR, 'bin', 'fake-gcs-server')
  if (!existsSync(bin)) throw new Error(`fake-gcs-server not installed at ${bin}: run test/servers/install.sh`)
  const port = opts.port ?? (await freePort())
  const endpoint = `http://127.0.0.1:${port}`
  const args = ['-scheme', 'http', '-host', '127.0.0.1', '-port', String(port), '-public-host', `127.0.0.1:${port}`, '-external-url', endpoint, '-log-level', 'error']
  if (opts.dataDir) {
    mkdirSync(opts.dataDir, { recursive: true })
    args.push('-backend', 'filesystem', '-filesystem-root', opts.dataDir)
  } else args.push('-backend', 'memory')
  const proc = spawnManaged('fake-gcs', bin, args)
  try {
    await waitFor('fake-gcs-server', () => httpOk(`${endpoint}/storage/v1/b`), 60_000, proc.exited)
  } catch (err) {
    await proc.stop()
    throw new Error(`${(err as Error).message}; log: ${proc.logFile}`)
  }
  const bucket = opts.bucket ?? 'logferry-test'
  const exists = await fetch(`${endpoint}/storage/v1/b/${bucket}`)
  await exists.body?.cancel()
  if (exists.status === 404) {
    const r = await fetch(`${endpoint}/storage/v1/b?project=test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: bucket }),
    })
    await r.body?.cancel()
    if (!r.ok) throw new Error(`fake-gcs-server: creating bucket failed with ${r.status}`)
  }
  return { endpoint, bucket, port, stop: () => proc.stop(), kill: () => proc.kill() }
}
