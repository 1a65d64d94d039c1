/**
 * Kept for suites that import it (test/uploader): the transfer suites now use
 * test/servers/suite-servers.ts, which this forwards to.
 */
import { suiteServers, type SuiteServer } from '../servers/suite-servers.js'
import type { ServersInfo } from '../servers/types.js'

export type ServerName = SuiteServer

export function startServers(names: readonly ServerName[]): Promise<ServersInfo> {
  return suiteServers(names)
}
