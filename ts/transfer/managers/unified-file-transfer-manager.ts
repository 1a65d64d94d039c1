/**
 * UnifiedFileTransferManager: the seed's manager that picks between its fsspec manager and its
 * command-line methods (`UnifiedFileTransferManager({ use_fsspec, ... })`). Here both are methods
 * of transferFiles: `useFsspec: true` is the storage method (streams through the storage layer,
 * any pair of stores); false (the default) is 'auto', which tries distcp, hdfs-put, hdfs-cp and
 * scp where they apply, as the seed's chain does, and the storage method last.
 */
import { boolean, custom, object, optional } from '../../options/schema.js'
import type { TransferMethod } from '../types.js'
import { FileTransferManager, validateManagerOptions, type FileTransferManagerOptions, type ManagerTransferOptions } from './file-transfer-manager.js'

export interface UnifiedFileTransferManagerOptions extends FileTransferManagerOptions {
  /** true: the storage method only; false (default): the hadoop/scp methods where they apply, then storage. */
  useFsspec?: boolean
  /** The seed's `fsspec_config`: its `transferOptions` are merged under `transferOptions`. */
  fsspecConfig?: { transferOptions?: ManagerTransferOptions }
}

const FSSPEC_CONFIG = object({ transferOptions: optional(custom<ManagerTransferOptions>('an options object', (v) => typeof v === 'object' && v !== null && !Array.isArray(v))) })

export class UnifiedFileTransferManager extends FileTransferManager {
  /** The method every transfer of this manager asks for. */
  readonly method: TransferMethod
  private readonly fsspecOptions: ManagerTransferOptions

  constructor(options: UnifiedFileTransferManagerOptions = {}) {
    const o = validateManagerOptions(options, { useFsspec: optional(boolean()), fsspecConfig: optional(FSSPEC_CONFIG) })
    const { useFsspec, fsspecConfig, ...rest } = o
    super(rest)
    this.method = useFsspec === true ? 'storage' : 'auto'
    this.fsspecOptions = { ...fsspecConfig?.transferOptions }
  }

  protected override transferOptions(): ManagerTransferOptions {
    return { ...this.fsspecOptions, ...super.transferOptions(), method: this.method }
  }
}
