/** S3: moto server (PyPI moto[server], installed by install.sh) on 127.0.0.1. */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { SERVERS_DIR, freePort, httpOk, spawnManaged, waitFor } from './process.js'
import type { S3Server } from './types.js'

export interface StartedS3 extends S3Server {
  port: number
  stop(): Promise<void>
  kill(): Promise<void>
}

export interface S3StartOptions {
  port?: number
  bucket?: string
  /** Requests served before moto starts enforcing IAM authentication (enables auth). */
  initialNoAuthActions?: number
}

export async function startS3(opts: S3StartOptions = {}): Promise<StartedS3> {
  const python = join(SERVERS_DIR, 'moto', 'bin', 'python')
  if (!existsSync(join(SERVERS_DIR, 'moto', 'bin', 'moto_server'))) throw new Error('moto not installed: run test/servers/install.sh')
  const port = opts.port ?? (await freePort())
  const env: NodeJS.ProcessEnv = { MOTO_PORT: String(port) }
  if (opts.initialNoAuthActions !== undefined) env.INITIAL_NO_AUTH_ACTION_COUNT = String(opts.initialNoAuthActions)
  const proc = spawnManaged('moto', python, [resolve('test/servers/s3/moto_single.py'), '127.0.0.1', String(port)], { env })
  const endpoint = `http://127.0.0.1:${port}`
  try {
    await waitFor('moto', () => httpOk(`${endpoint}/moto-api/`), 60_000, proc.exited)
  } catch (err) {
    await proc.stop()
    throw new Error(`${(err as Error).message}; log: ${proc.logFile}`)
  }
  const bucket = opts.bucket ?? 'logferry-test'
  if (opts.initialNoAuthActions === undefined) {
    const r = await fetch(`${endpoint}/${bucket}`, { method: 'PUT' })
    await r.body?.cancel()
    if (!r.ok) throw new Error(`moto: creating bucket failed with ${r.status}`)
  }
  return { endpoint, bucket, port, stop: () => proc.stop(), kill: () => proc.kill() }
}
