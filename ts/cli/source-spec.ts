/**
 * Splits a command-line location (`/var/log/*.log`, `s3://bucket/dir/*.gz?endpoint=...`,
 * `webhdfs://nn:9870/logs`) into the filesystem it lives on and the path (or glob) on it, so
 * several sources on one filesystem share one connection. The parsing is the storage layer's
 * (storage/url.ts), the same that filesystem() and the external tools' endpoints use.
 */
import { isStorageUrl, parseLocation } from '../storage/url.js'

export interface Location {
  /** URL of the filesystem root (bucket, container, host), with the original query. */
  filesystem: string
  /** Path or glob on that filesystem. */
  path: string
}

/** Whether a location is a URL (`scheme://...`) rather than a local path (`C:\logs` is a path). */
export function isUrl(location: string): boolean {
  return isStorageUrl(location)
}

export function splitLocation(raw: string): Location {
  const loc = parseLocation(raw)
  return { filesystem: loc.storeUrl, path: loc.path }
}
