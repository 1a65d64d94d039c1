/** LogManager: loggers, handlers and formats from a YAML file or an object, plus copy jobs. */
import { hostname } from 'node:os'
import { dirname, join } from 'node:path'
import { CopyJobHost } from '../copy/copy-job-host.js'
import { LogferryError } from '../errors.js'
import type { LogManagerConfig } from './config-types.js'
import { Handler } from './handler.js'
import { loadConfig, loadConfigText } from './load-config.js'
import { ManagedLogger } from './managed-logger.js'
import type { ProcessContext } from './record-format.js'
import { validateManagerOptions, type ResolvedConfig } from './validate-config.js'

export interface LogManagerOptions {
  /** Start the config's copy jobs right away (default: the config's autoStartCopy, itself default true). */
  autoStartCopy?: boolean
  /** Called with errors that have no caller to go to (retention failures, damaged copy state). Default: stderr. */
  onWarning?: (err: Error) => void
}

function stderrWarning(err: Error): void {
  process.stderr.write(`logferry: ${err.message}\n`)
}

export class LogManager extends CopyJobHost {
  readonly #config: ResolvedConfig
  readonly #handlers = new Map<string, Handler>()
  readonly #loggers = new Map<string, ManagedLogger>()
  readonly #ctx: ProcessContext = { pid: process.pid, hostname: hostname() }
  readonly #onWarning: (err: Error) => void
  #closed = false

  /** `config`: the path of a YAML file, or a config object. Throws ConfigError (ERR_INVALID_CONFIG). */
  constructor(config: string | LogManagerConfig, options: LogManagerOptions = {}) {
    super()
    validateManagerOptions(options)
    this.#onWarning = options.onWarning ?? stderrWarning
    const preloaded = LogManager.#preloaded
    LogManager.#preloaded = undefined
    this.#config = preloaded ?? loadConfig(config)
    this.#open(options)
  }

  /** Set by fromYaml for the constructor call it makes (construction is synchronous). */
  static #preloaded: ResolvedConfig | undefined

  /** A LogManager from YAML text (`file` labels error messages, which carry line and column). */
  static fromYaml(text: string, options: LogManagerOptions & { file?: string } = {}): LogManager {
    const { file, ...rest } = options
    LogManager.#preloaded = loadConfigText(text, file)
    try {
      return new LogManager({}, rest)
    } finally {
      LogManager.#preloaded = undefined
    }
  }

  #open(options: LogManagerOptions): void {
    try {
      for (const h of this.#config.handlers.values()) this.#handlers.set(h.name, new Handler(h, this.#ctx, this.#onWarning))
    } catch (err) {
      for (const h of this.#handlers.values()) void h.close().catch(() => undefined)
      throw err
    }
    for (const h of this.#handlers.values()) h.applyRetention().catch((err: unknown) => this.#onWarning(err as Error))
    this.copyJobs.on('warning', this.#onWarning)
    if (options.autoStartCopy ?? this.#config.autoStartCopy) {
      for (const job of this.#config.copy) this.startCopy(job)
    }
  }

  protected copyStateDir(): string | undefined {
    const first = this.#config?.handlers.values().next().value
    return first ? join(dirname(first.sink), '.logferry-copy') : undefined
  }

  /** The logger configured under `name` (the same instance on every call). */
  getLogger(name: string): ManagedLogger {
    if (this.#closed) throw new LogferryError('ERR_LOGGER_CLOSED', 'log manager is closed')
    let l = this.#loggers.get(name)
    if (l) return l
    const conf = this.#config.loggers.get(name)
    if (!conf) {
      throw new LogferryError('ERR_INVALID_ARG', `no logger named ${JSON.stringify(name)} in the config (configured: ${[...this.#config.loggers.keys()].join(', ') || 'none'})`)
    }
    l = new ManagedLogger(
      name,
      conf.targets.map((t) => ({ handler: this.#handlers.get(t.handler) as Handler, floor: t.floor })),
      conf.level,
      conf.redact,
    )
    this.#loggers.set(name, l)
    return l
  }

  /** Names of the configured loggers. */
  loggerNames(): string[] {
    return [...this.#config.loggers.keys()]
  }

  /** Sink paths by handler name. */
  handlerSinks(): Record<string, string> {
    return Object.fromEntries([...this.#handlers].map(([n, h]) => [n, h.sink]))
  }

  /** The copy jobs of the config's `copy:` section (started or not). */
  configuredCopyJobs(): ResolvedConfig['copy'] {
    return [...this.#config.copy]
  }

  /** Writes everything logged so far to the files. */
  async flush(): Promise<void> {
    await Promise.all([...this.#handlers.values()].map((h) => h.flush()))
  }

  /** Applies every handler's retention now; resolves with the deleted paths. */
  async applyRetention(): Promise<string[]> {
    const all = await Promise.all([...this.#handlers.values()].map((h) => h.applyRetention()))
    return all.flat().sort()
  }

  /** Stops the copy jobs (up to `timeout` ms each, default 10 s), then closes every handler. */
  async close(options: { timeout?: number } = {}): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.stopAllCopies(options)
    await Promise.all([...this.#handlers.values()].map((h) => h.close()))
  }
}
