/** A logs service that only syncs, on demand, one rsync source on the test sshd: for tracing and timing syncs. */
import { createLogsService } from '../../ts/service/logs-service.js'
import type { StartedSftp } from '../servers/sftp.js'

type LogsService = Awaited<ReturnType<typeof createLogsService>>

/**
 * No HTTP, no sync at start or on a timer, no env or .env files, warnings only; the source
 * `name` mirrors `remoteDir` (a directory on the sshd) with the sshd's test key.
 */
export function rsyncSyncService(o: { cwd: string; dataDir: string; sshd: StartedSftp; name: string; remoteDir: string }): Promise<LogsService> {
  const { sshd } = o
  return createLogsService({
    cwd: o.cwd,
    env: {},
    ignoreEnvFiles: true,
    http: false,
    syncOnStart: false,
    syncInterval: 0,
    logLevel: 'warn',
    dataDir: o.dataDir,
    sources: [{ name: o.name, kind: 'rsync', host: sshd.host, port: sshd.port, user: sshd.username, identityFile: sshd.privateKeyPath, remotePath: `${o.remoteDir}/` }],
  })
}
