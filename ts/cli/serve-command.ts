/**
 * `logferry serve`: the logs service in the foreground until SIGINT/SIGTERM (docs/serve.md).
 * Exit status: 0 stopped cleanly, 1 failed while running, 2 bad usage or an invalid setting.
 */
import { parseArgs } from 'node:util'
import { ConfigError } from '../config-error.js'
import { waitForStopSignal } from './stop-signal.js'

export const SERVE_USAGE = `usage: logferry serve [options]
  Syncs log files from remote hosts (rsync over ssh, any storage URL, a local directory),
  sorts them into categories and serves them over HTTP (docs/serve.md). With nothing
  configured: the source is ./logs, the data ./logferry-data, http://127.0.0.1:8004.
  --config FILE         YAML/JSON settings (sources, rules, limits, ...)
  --host H              address to bind (default 127.0.0.1; others need LOGFERRY_TOKEN)
  --port P              port (default 8004; 0 = any free port)
  --data-dir D          data directory (default ./logferry-data)
  --source SPEC         a directory, a storage URL or user@host:path (rsync), optionally
                        name=SPEC; repeat for several (replaces the configured sources)
  --sync-interval S     seconds between syncs (default 60; 0 = only when triggered)
  --log-level L         trace, debug, info, warn, error, silent (default info)
  --stop-timeout D      how long a stop waits for the running sync and requests (default 30s)
  --token-file F        bearer token every route but /health asks for, read from F (there
                        is no --token: a command line is visible to every user in ps)
  --retention-dry-run   print what retention would compress and delete now, change nothing, exit
  Environment: SSH_HOST SSH_PORT SSH_USER SSH_PASSWORD SSH_IDENTITY_FILE REMOTE_BASE_PATH
  SYNC_INTERVAL LOG_LEVEL LOGFERRY_TOKEN LOGFERRY_TOKEN_FILE LOGFERRY_HOST LOGFERRY_PORT
  LOGFERRY_DATA_DIR, also read from .env and .env.local in the working directory.`

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  host: { type: 'string' },
  port: { type: 'string', short: 'p' },
  'data-dir': { type: 'string' },
  source: { type: 'string', multiple: true },
  'sync-interval': { type: 'string' },
  'log-level': { type: 'string' },
  'stop-timeout': { type: 'string' },
  'token-file': { type: 'string' },
  'retention-dry-run': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

/** Setting key -> the flag that gave it, so a refusal names what the user typed. */
const FLAG_OF: Record<string, string> = { host: '--host', port: '--port', dataDir: '--data-dir', syncInterval: '--sync-interval', logLevel: '--log-level', stopTimeout: '--stop-timeout', authTokenFile: '--token-file' }

async function retentionDryRunCommand(values: { config?: string; source?: string[] }, flags: Record<string, string | undefined>): Promise<number> {
  const [{ resolveSettings }, { retentionDryRun }] = await Promise.all([import('../service/settings.js'), import('../service/retention/dry-run.js')])
  let settings
  try {
    settings = resolveSettings({ config: values.config, source: values.source, ...(Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)) as Record<string, never>) })
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(`logferry serve: ${err.code}: ${err.message}\n`)
    return 2
  }
  if (Object.keys(settings.retention.policies).length === 0) {
    process.stdout.write('retention: no policy configured (retention.policies): nothing to do\n')
    return 0
  }
  const actions = await retentionDryRun(settings)
  for (const a of actions) process.stdout.write(`${a.action === 'compress' ? `compress (${a.compression})` : 'delete'}\t${a.service}\tlogs/${a.source}/${a.sourcePath}\t${a.size} B\t${a.mtime}\t${a.reason}\n`)
  const bytes = actions.filter((a) => a.action === 'delete').reduce((n, a) => n + a.size, 0)
  process.stdout.write(`retention dry run: ${actions.filter((a) => a.action === 'compress').length} to compress, ${actions.filter((a) => a.action === 'delete').length} to delete (${bytes} B); nothing changed\n`)
  return 0
}

export async function serveCommand(args: string[]): Promise<number> {
  let values: { config?: string; host?: string; port?: string; 'data-dir'?: string; source?: string[]; 'sync-interval'?: string; 'log-level'?: string; 'stop-timeout'?: string; 'token-file'?: string; 'retention-dry-run'?: boolean; help?: boolean }
  try {
    values = parseArgs({ args, options: OPTIONS, allowPositionals: false, strict: true }).values
  } catch (err) {
    process.stderr.write(`logferry serve: ${(err as Error).message}\n${SERVE_USAGE}\n`)
    return 2
  }
  if (values.help) {
    process.stdout.write(`${SERVE_USAGE}\n`)
    return 0
  }
  const flags = { host: values.host, port: values.port, dataDir: values['data-dir'], syncInterval: values['sync-interval'], logLevel: values['log-level'], stopTimeout: values['stop-timeout'], authTokenFile: values['token-file'] }
  if (values['retention-dry-run']) return retentionDryRunCommand(values, flags)
  // The service (and its server framework) is loaded only by this command.
  const { createLogsService } = await import('../service/logs-service.js')
  let svc
  try {
    svc = await createLogsService({
      config: values.config,
      source: values.source,
      ...(Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)) as Record<string, never>),
      logStream: process.stdout,
    })
    await svc.start()
  } catch (err) {
    if (err instanceof ConfigError) {
      const flag = err.file === undefined && err.key !== undefined && (values as Record<string, unknown>)[FLAG_OF[err.key]?.slice(2) ?? ''] !== undefined ? FLAG_OF[err.key] : undefined
      const msg = flag ? `${flag}: ${err.message.slice((err.key as string).length + 2)}` : err.message
      process.stderr.write(`logferry serve: ${err.code}: ${msg}\n`)
      return 2
    }
    const code = (err as { code?: unknown }).code
    process.stderr.write(`logferry serve: ${typeof code === 'string' ? `${code}: ` : ''}${(err as Error).message}\n`)
    return 1
  }
  const s = svc.core.settings
  process.stderr.write(`logferry serve: listening on ${svc.url} (web UI ${svc.url}/ui/; data ${s.dataDir}; sources ${s.sources.map((x) => `${x.name} (${x.kind})`).join(', ')}; Ctrl-C to stop)\n`)
  const sig = await waitForStopSignal()
  process.stderr.write(`logferry serve: ${sig}: stopping\n`)
  await svc.stop()
  return 0
}
