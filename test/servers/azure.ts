/** Azure Blob: Azurite (npm devDependency) on 127.0.0.1, shared-key auth with the emulator account. */
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob'
import { existsSync, mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { freePort, portOpen, spawnManaged, waitFor } from './process.js'
import type { AzureServer } from './types.js'

// Azurite's built-in development account (public, documented emulator credentials).
const ACCOUNT = 'devstoreaccount1'
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

export interface StartedAzure extends AzureServer {
  port: number
  stop(): Promise<void>
  kill(): Promise<void>
}

export interface AzureStartOptions {
  port?: number
  container?: string
  /** Persist blobs here (survives a restart) instead of in memory. */
  dataDir?: string
}

export async function startAzure(opts: AzureStartOptions = {}): Promise<StartedAzure> {
  const main = resolve('node_modules/azurite/dist/src/blob/main.js')
  if (!existsSync(main)) throw new Error('azurite is not installed: run npm ci')
  const port = opts.port ?? (await freePort())
  const args = [main, '--blobHost', '127.0.0.1', '--blobPort', String(port), '--disableTelemetry', '--silent', '--skipApiVersionCheck', '--loose']
  if (opts.dataDir) {
    mkdirSync(opts.dataDir, { recursive: true })
    args.push('--location', opts.dataDir)
  } else args.push('--inMemoryPersistence')
  const proc = spawnManaged('azurite', process.execPath, args)
  try {
    await waitFor('azurite', () => portOpen(port), 60_000, proc.exited)
  } catch (err) {
    await proc.stop()
    throw new Error(`${(err as Error).message}; log: ${proc.logFile}`)
  }
  const endpoint = `http://127.0.0.1:${port}/${ACCOUNT}`
  const container = opts.container ?? 'logferry-test'
  const service = new BlobServiceClient(endpoint, new StorageSharedKeyCredential(ACCOUNT, KEY))
  await service.getContainerClient(container).createIfNotExists()
  return { endpoint, accountName: ACCOUNT, accountKey: KEY, container, port, stop: () => proc.stop(), kill: () => proc.kill() }
}
