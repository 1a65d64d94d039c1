/** The seed's manager classes (seed 002), thin wrappers over transferFiles: docs/migrating-from-seed-002.md. */
export { FileTransferManager, type FileTransferManagerOptions, type ManagerTransferOptions } from './file-transfer-manager.js'
export { UnifiedFileTransferManager, type UnifiedFileTransferManagerOptions } from './unified-file-transfer-manager.js'
export type { SeedFsConfig } from './seed-fs-config.js'
