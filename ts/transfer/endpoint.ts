/**
 * Where a filesystem lives, as the external tools (hadoop, scp) address it: a local directory
 * (capabilities.localRoot), or the address the backend declares (capabilities.toolAddress: a
 * Hadoop FileSystem URI, an SSH host). Nothing here knows a backend by its name.
 */
import { capabilitiesOf } from '../storage/capabilities.js'
import type { FileSystem, ToolAddress } from '../storage/index.js'
import { normalizePath } from '../storage/path.js'

export type Endpoint = { kind: 'local'; root: string } | ToolAddress | { kind: 'other'; protocol: string; why: string }

/**
 * `callersInstance`: the caller passed this FileSystem object itself rather than a URL or config.
 * Such an object may hold credentials the tools cannot use (a password, a key in memory, a
 * delegation token), so tools reach it only when it is a local directory.
 */
export function endpointOf(fs: FileSystem, callersInstance = false): Endpoint {
  const caps = capabilitiesOf(fs)
  if (caps.localRoot !== undefined) return { kind: 'local', root: `/${normalizePath(caps.localRoot)}` }
  if (caps.toolAddress && callersInstance) {
    return { kind: 'other', protocol: fs.protocol, why: `a ${fs.protocol} FileSystem instance is used through its own API only: pass a URL or config object for external tools` }
  }
  if (caps.toolAddress) return caps.toolAddress
  return { kind: 'other', protocol: fs.protocol, why: `the ${fs.protocol} backend is not reachable by hadoop or scp` }
}

/** `root` + relative path as an absolute path. */
export function absPath(root: string, rel: string): string {
  const n = normalizePath(rel)
  return root === '/' ? `/${n}` : n === '' ? root : `${root}/${n}`
}

/**
 * The URI hadoop gets for `rel` on a local or Hadoop endpoint: on the endpoint's own NameNode RPC
 * address when it names one (each cluster of a cross-cluster copy has its own), else on
 * `namenode` (hadoop.namenode, the default for endpoints that name none), else over WebHDFS.
 */
export function hadoopUri(ep: Endpoint, rel: string, namenode?: string): string {
  if (ep.kind === 'local') return `file://${absPath(ep.root, rel)}`
  if (ep.kind === 'hadoop') return `${ep.rpcUri ?? namenode ?? ep.uri}${absPath(ep.root, rel)}`
  throw new Error(`hadoop cannot address a ${ep.kind === 'ssh' ? 'SSH' : ep.protocol} filesystem`)
}

/** The root of the NameNode hadoop reaches a Hadoop endpoint on (as hadoopUri picks it). */
export function hadoopFsRoot(ep: Endpoint, namenode?: string): string {
  if (ep.kind === 'local') return 'file:///'
  if (ep.kind === 'hadoop') return `${ep.rpcUri ?? namenode ?? ep.uri}/`
  throw new Error(`hadoop cannot address a ${ep.kind === 'ssh' ? 'SSH' : ep.protocol} filesystem`)
}
