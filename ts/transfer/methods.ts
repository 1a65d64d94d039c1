/** The methods by name, and the order 'auto' tries them in. */
import { distcpMethod } from './distcp-method.js'
import { TransferError } from './errors.js'
import { hdfsCpMethod, hdfsPutMethod } from './hadoop-fs-method.js'
import type { TransferMethodImpl } from './method.js'
import type { ResolvedOptions } from './options.js'
import { scpMethod } from './scp-method.js'
import { storageMethod } from './storage-method.js'

/** 'auto' tries these in order (the reference tool's chain, then the storage layer). */
export const AUTO_ORDER: readonly TransferMethodImpl[] = [distcpMethod, hdfsPutMethod, hdfsCpMethod, scpMethod, storageMethod]

export interface ChainStep {
  method: TransferMethodImpl
  /** Set when the method's tool is missing: every pending file records it and moves on. */
  unavailable?: TransferError
}

/**
 * The methods to try. An explicit method that does not apply or whose tool is missing throws
 * ERR_METHOD_UNAVAILABLE. 'auto' leaves out methods that do not apply to the source/target pair
 * and keeps those whose tool is missing as recorded-unavailable steps.
 */
export function methodChain(o: ResolvedOptions): ChainStep[] {
  if (o.method !== 'auto') {
    const method = AUTO_ORDER.find((m) => m.name === o.method) as TransferMethodImpl
    const why = method.inapplicable(o)
    if (why !== undefined) throw new TransferError('ERR_METHOD_UNAVAILABLE', `method '${o.method}' cannot be used here: ${why}`)
    method.prepare(o)
    return [{ method }]
  }
  const steps: ChainStep[] = []
  for (const method of AUTO_ORDER) {
    if (method.inapplicable(o) !== undefined) continue
    try {
      method.prepare(o)
      steps.push({ method })
    } catch (err) {
      if (!(err instanceof TransferError)) throw err
      steps.push({ method, unavailable: err })
    }
  }
  return steps
}
