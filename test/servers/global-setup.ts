/**
 * Vitest globalSetup: starts the storage servers once for the whole run and hands their
 * addresses to the tests (`inject('storageServers')`). A run limited to files outside
 * test/storage (e.g. `vitest run test/logger.test.ts`) starts nothing.
 */
import type { TestProject } from 'vitest/node'
import { startAll } from './index.js'
import type { ServersInfo } from './types.js'

declare module 'vitest' {
  export interface ProvidedContext {
    storageServers: ServersInfo
  }
}

function storageSelected(): boolean {
  const i = process.argv.findIndex((a) => a === 'run' || a === 'watch' || a === 'dev')
  const filters = process.argv.slice(i >= 0 ? i + 1 : 2).filter((a) => !a.startsWith('-'))
  return filters.length === 0 || filters.some((f) => f.includes('storage'))
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!storageSelected()) {
    project.provide('storageServers', { unavailable: { all: 'storage tests not selected' } })
    return async () => undefined
  }
  const servers = await startAll()
  project.provide('storageServers', servers.info)
  return () => servers.stop()
}
