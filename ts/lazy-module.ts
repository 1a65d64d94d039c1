/**
 * A package loaded on first use instead of at `import 'logferry'`: the root must stay cheap to
 * import (docs/engine.md "Import cost"), so cloud SDKs, ssh2, YAML and databases are reached only
 * through loaders made here, by the feature that needs them. `require` is synchronous, so callers
 * keep synchronous constructors; every package loaded this way ships a CommonJS build. Only types
 * may be imported statically from such a package (`import type`, erased at build time).
 */
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** A function returning the package `name`, loaded by its first call. */
export function lazyModule<T>(name: string): () => T {
  let loaded: T | undefined
  return () => (loaded ??= require(name) as T)
}
