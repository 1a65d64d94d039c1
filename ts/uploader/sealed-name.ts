/**
 * The names the engine gives sealed files, `{stem}_{YYYY-MM-DD_HH-MM-SS}[_{n}]{ext}` (UTC),
 * and the values object-name templates use. The format is defined once, in the engine
 * (crates/core/src/sealed_name.rs); these are thin wrappers over its parser.
 */
import { native, type NativeSealedName } from '../native.js'

export interface SealedName {
  stem: string
  /** `YYYY-MM-DD_HH-MM-SS`, plus `_{n}` when several files were sealed within one second. */
  timestamp: string
  /** `YYYY-MM-DD`. */
  date: string
  /** Extension with its dot ('' when none): the active file's, after its last dot. */
  ext: string
  /** Seal time from the stamp, ms since the epoch (whole seconds). */
  sealedAt: number
  /** The `_n` suffix of files sealed within the same second (0 without one). */
  seq: number
}

function fromNative(n: NativeSealedName): SealedName {
  return {
    stem: n.stem,
    timestamp: n.seq === 0 ? n.stamp : `${n.stamp}_${n.seq}`,
    date: n.stamp.slice(0, 10),
    ext: n.ext,
    sealedAt: n.sealedAt,
    seq: n.seq,
  }
}

/** The parts of a sealed file's name, or undefined when the engine would never seal a file under that name. */
export function parseSealedName(path: string): SealedName | undefined {
  const n = native.parseSealedName(path)
  return n ? fromNative(n) : undefined
}

/** `YYYY-MM-DD_HH-MM-SS` of a time, in UTC (the engine's stamp format). */
export function utcStamp(d: Date): string {
  return native.utcStamp(d.getTime())
}

/** A name as if it were sealed now, for files enqueued by hand that carry no stamp. */
export function nameOfUnsealed(path: string, now: Date): SealedName {
  return fromNative(native.sealedNameOf(path, now.getTime()))
}

/** True when `name` is a sealed sibling of the active file `activePath` (same stem and extension). */
export function isSealedSiblingOf(name: string, activePath: string): boolean {
  return native.isSealedSibling(name, activePath)
}
