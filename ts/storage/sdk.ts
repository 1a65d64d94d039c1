/**
 * The backends' client libraries, each loaded when the first filesystem of its kind is built or
 * connects (lazy-module.ts): the AWS, Google and Azure SDKs and ssh2 together cost ~0.8 s and
 * ~60 MB at import, which a logger must not charge to a process that never ships a file. Public
 * clients (`S3FileSystem.client`, `GcsFileSystem.bucket`, `AzureBlobFileSystem.container`) stay
 * synchronous properties.
 */
import type * as S3Sdk from '@aws-sdk/client-s3'
import type * as S3LibStorage from '@aws-sdk/lib-storage'
import type * as AzureSdk from '@azure/storage-blob'
import type * as GcsSdk from '@google-cloud/storage'
import type * as Http from 'node:http'
import type * as Https from 'node:https'
import type * as Ssh2 from 'ssh2'
import { lazyModule } from '../lazy-module.js'

export const s3Sdk = lazyModule<typeof S3Sdk>('@aws-sdk/client-s3')
export const s3LibStorage = lazyModule<typeof S3LibStorage>('@aws-sdk/lib-storage')
export const gcsSdk = lazyModule<typeof GcsSdk>('@google-cloud/storage')
export const azureSdk = lazyModule<typeof AzureSdk>('@azure/storage-blob')
export const ssh2 = lazyModule<typeof Ssh2>('ssh2')
// WebHDFS's DataNode uploads (node:https brings TLS: ~20 ms at import).
export const nodeHttp = lazyModule<typeof Http>('node:http')
export const nodeHttps = lazyModule<typeof Https>('node:https')
