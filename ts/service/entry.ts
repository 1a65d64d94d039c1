/**
 * The package root's door to the logs service: `createLogsService` loads the service (and its
 * HTTP framework) at its first call, so `import 'logferry'` stays cheap.
 */
import type { CreateLogsServiceOptions } from './logs-service.js'
import type { LogsService } from './types.js'

export type { CreateLogsServiceOptions } from './logs-service.js'
export type { ServiceOptions } from './settings.js'
export type * from './types.js'

export async function createLogsService(options: CreateLogsServiceOptions = {}): Promise<LogsService> {
  const m = await import('./logs-service.js')
  return m.createLogsService(options)
}
