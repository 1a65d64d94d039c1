/**
 * FileTransferManager: the seed's manager class (seed 002, `FileTransferManager` /
 * `FSSpecFileTransferManager`) for code written against it, as a thin wrapper over
 * transferFiles: one call per `transferFiles(filepaths, targetTable?, targetPath?)`, the boolean
 * the seed returns, and the full report in `lastReport`.
 */
import { custom, object, optional, type Field } from '../../options/schema.js'
import { invalidArgReporter, validateOptions } from '../../options/validate-options.js'
import type { FileSystem, FileSystemSpec, StorageConfig } from '../../storage/index.js'
import { invalidArg } from '../errors.js'
import { transferFiles } from '../transfer.js'
import type { TransferOptions, TransferReport } from '../types.js'
import { below, isInstance, storageConfigOf, type SeedFsConfig } from './seed-fs-config.js'

/** What every transfer of a manager shares: TransferOptions without the files and the endpoints. */
export type ManagerTransferOptions = Omit<TransferOptions, 'files' | 'source' | 'target'>

export interface FileTransferManagerOptions {
  /** The source filesystem itself (used through its own API only). */
  sourceFs?: FileSystem
  /** The target filesystem itself (used through its own API only). */
  targetFs?: FileSystem
  /** The source as a seed-style config, a storage config or a URL. Default: the local disk at '/'. */
  sourceFsConfig?: SeedFsConfig | StorageConfig | string
  /** The target as a seed-style config, a storage config or a URL. */
  targetFsConfig?: SeedFsConfig | StorageConfig | string
  /** Options of every transfer (method, concurrency, overwrite, retries, mirror, maps, ...). */
  transferOptions?: ManagerTransferOptions
}

const report = invalidArgReporter('FileTransferManager: ')
const fsInstance = custom<FileSystem>('a FileSystem', (v) => typeof v === 'object' && v !== null && typeof (v as { ls?: unknown }).ls === 'function')
const fsConfig = custom<SeedFsConfig | StorageConfig | string>('a URL or a config object with a protocol', (v) => typeof v === 'string' || (typeof v === 'object' && v !== null && typeof (v as { protocol?: unknown }).protocol === 'string'))
const plainObject = custom<ManagerTransferOptions>('an options object', (v) => typeof v === 'object' && v !== null && !Array.isArray(v))
const FIELDS = {
  sourceFs: optional(fsInstance),
  targetFs: optional(fsInstance),
  sourceFsConfig: optional(fsConfig),
  targetFsConfig: optional(fsConfig),
  transferOptions: optional(plainObject),
} satisfies Record<keyof FileTransferManagerOptions, Field<unknown>>
const SHAPE = object(FIELDS)

/** Checks manager options (unknown keys with a did-you-mean, wrong types named); ERR_INVALID_ARG. */
export function validateManagerOptions<T extends FileTransferManagerOptions>(options: T, extra: Record<string, Field<unknown>> = {}): T {
  const shape = Object.keys(extra).length === 0 ? SHAPE : object({ ...FIELDS, ...extra })
  const o = validateOptions(shape, options ?? {}, report) as T
  if (o.sourceFs !== undefined && o.sourceFsConfig !== undefined) throw invalidArg('type', 'FileTransferManager: give sourceFs or sourceFsConfig, not both')
  if (o.targetFs !== undefined && o.targetFsConfig !== undefined) throw invalidArg('type', 'FileTransferManager: give targetFs or targetFsConfig, not both')
  return o
}

function specOf(config: SeedFsConfig | StorageConfig | string): FileSystemSpec {
  return typeof config === 'string' ? config : storageConfigOf(config as SeedFsConfig)
}

/** The directory part of a target path given as a URL ('s3://bucket/transfers/' -> 'transfers'). */
function pathPart(targetPath: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(\/[^?#]*)?/i.exec(targetPath)
  return m ? (m[1] ?? '') : targetPath
}

export class FileTransferManager {
  /** The report of the last transferFiles call (undefined before the first). */
  lastReport: TransferReport | undefined
  protected readonly options: FileTransferManagerOptions

  constructor(options: FileTransferManagerOptions = {}) {
    this.options = validateManagerOptions(options)
  }

  /** The options one call runs with; subclasses pick the method. */
  protected transferOptions(): ManagerTransferOptions {
    return { ...this.options.transferOptions }
  }

  /**
   * Copies `filepaths` (paths or globs on the source) to the target, below `targetPath` (a
   * directory of the target, or a URL naming it when no target filesystem is set) and below
   * `targetTable` inside that (the seed's table directory). Resolves true when no file failed;
   * the report is in `lastReport`. Throws for invalid options (ERR_INVALID_ARG), as transferFiles.
   */
  async transferFiles(filepaths: string | readonly string[], targetTable?: string, targetPath?: string): Promise<boolean> {
    const { sourceFs, targetFs, sourceFsConfig, targetFsConfig } = this.options
    const source: FileSystemSpec | undefined = sourceFs ?? (sourceFsConfig !== undefined ? specOf(sourceFsConfig) : undefined)
    let target: FileSystemSpec | undefined = targetFs ?? (targetFsConfig !== undefined ? specOf(targetFsConfig) : undefined)
    const sub = [targetPath !== undefined && target !== undefined ? pathPart(targetPath) : '', targetTable ?? ''].map((p) => p.replace(/^\/+|\/+$/g, '')).filter((p) => p !== '').join('/')
    if (target === undefined) {
      if (targetPath === undefined) throw invalidArg('type', 'FileTransferManager: no target: give targetFs, targetFsConfig, or a targetPath URL')
      target = targetPath
    }
    if (sub !== '') {
      if (isInstance(target)) throw invalidArg('type', `FileTransferManager: cannot write below '${sub}' of a FileSystem instance: give targetFsConfig (or a URL) so the target can be rooted there`)
      target = below(target as string | StorageConfig, sub)
    }
    this.lastReport = await transferFiles({ ...this.transferOptions(), files: filepaths, ...(source !== undefined ? { source } : {}), target })
    return this.lastReport.ok
  }
}
