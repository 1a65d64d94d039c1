/** What each started server tells the tests (plain data, passed from globalSetup via provide). */
export interface S3Server {
  endpoint: string
  bucket: string
}
export interface GcsServer {
  endpoint: string
  bucket: string
}
export interface AzureServer {
  endpoint: string
  accountName: string
  accountKey: string
  container: string
}
export interface HdfsServer {
  url: string
  /** NameNode RPC address, hdfs://127.0.0.1:PORT (for the hadoop CLI). */
  rpcUrl?: string
}
export interface SftpServer {
  host: string
  port: number
  username: string
  password: string
  privateKeyPath: string
  hostFingerprint: string
  /** Directory on this machine the SFTP user owns (the tests' root). */
  dataDir: string
}

export interface ServersInfo {
  s3?: S3Server
  gcs?: GcsServer
  azure?: AzureServer
  hdfs?: HdfsServer
  sftp?: SftpServer
  /** Why a server is missing (only ever non-empty outside CI). */
  unavailable: Record<string, string>
}
