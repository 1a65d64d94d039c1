/** The storage layer: one FileSystem API over local, memory, S3, GCS, Azure Blob, WebHDFS and SFTP. */
export type {
  Checksum,
  ChecksumAlgorithm,
  EntryKind,
  FileInfo,
  FileSystem,
  FileSystemCapabilities,
  LocalFileDigest,
  LocalWriteOptions,
  NativeChecksumKind,
  ToolAddress,
  StagedWrite,
  PositionedReader,
  LsOptions,
  MkdirOptions,
  ReadStreamOptions,
  RmOptions,
  SpaceInfo,
  WriteOptions,
} from './types.js'
export { StorageError, isStorageError, redact, type StorageErrorCode, type StorageErrorOptions } from './errors.js'
export { isTransient } from './transient.js'
export { capabilitiesOf, NO_CAPABILITIES } from './capabilities.js'
export { BaseFileSystem } from './base.js'
export { ObjectStoreFileSystem, type ObjectMeta, type ListItem } from './object-store.js'
export type { ByteSource, Sink, WrittenObject } from './streams.js'
export { runBeforePublish, writtenObject } from './streams.js'
export { LocalFileSystem, type LocalOptions } from './local.js'
export { MemoryFileSystem, type MemoryOptions } from './memory.js'
export { S3FileSystem, type S3Options } from './s3.js'
export { GcsFileSystem, type GcsOptions } from './gcs.js'
export { AzureBlobFileSystem, type AzureOptions } from './azure.js'
export { WebHdfsFileSystem, type WebHdfsOptions } from './webhdfs.js'
export { SftpFileSystem, type SftpOptions } from './sftp.js'
export type {
  AzureConfig,
  GcsConfig,
  LocalConfig,
  MemoryConfig,
  S3Config,
  SftpConfig,
  StorageConfig,
  WebHdfsConfig,
} from './config.js'
export { filesystem, type FileSystemSpec } from './factory.js'
export { uploadFile, DEFAULT_CHUNK_SIZE, type UploadFileOptions, type UploadFileResult } from './chunked-upload.js'
export type { BeginOptions, ChunkedUploadSession, ChunkedUploadStrategy, CompleteOptions, PartChecksums } from './chunked-strategy.js'
export { chunkedStrategyFor } from './chunked-strategies.js'
export { HdfsChecksumHasher, hdfsBlockMd5s, hdfsFileMd5, parseHdfsChecksum, HDFS_DEFAULT_BLOCK_SIZE, HDFS_DEFAULT_BYTES_PER_CRC, type HdfsFileChecksum } from './hdfs-checksum.js'
