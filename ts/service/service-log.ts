/**
 * The service's own logs: JSON lines (pino's shape: level, time, msg, fields) written through
 * logferry's own Logger to `<data>/service-logs/logferry-serve.log` — the product dogfoods
 * itself — and echoed to a stream (the CLI: stdout) when one is given.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { Logger } from '../logger.js'
import type { ServiceLog, ServiceLogLevel } from './types.js'

const RANK: Record<ServiceLogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity }

export interface ServiceLogger extends ServiceLog {
  readonly path: string
  close(): Promise<void>
}

export function createServiceLog(dataDir: string, level: ServiceLogLevel, echo?: NodeJS.WritableStream): ServiceLogger {
  const dir = join(dataDir, 'service-logs')
  mkdirSync(dir, { recursive: true })
  const logger = new Logger({
    logFilePath: join(dir, 'logferry-serve.log'),
    bufferSize: 1 << 20,
    numShards: 1,
    maxFileSize: 64 << 20,
    preallocateFileSize: 1 << 20,
    flushInterval: 1000,
  })
  const min = RANK[level]
  const write = (lvl: Exclude<ServiceLogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>): void => {
    if (RANK[lvl] < min) return
    const line = JSON.stringify({ level: lvl, time: new Date().toISOString(), pid: process.pid, msg, ...fields })
    if (!logger.closed) logger.log(line)
    echo?.write(`${line}\n`)
  }
  return {
    path: logger.path,
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    close: async () => {
      if (!logger.closed) await logger.close()
    },
  }
}
