/**
 * Built-in error signatures of the seed's world (GPU jobs under Slurm): lines that say something
 * failed whatever level, if any, they carry. Python tracebacks span several lines and are
 * grouped by the scanner (ts/service/errors/scanner.ts), not matched here.
 */
import type { LineLevel } from './levels.js'

export interface Signature {
  /** Stable name, reported with each event (`cuda-oom`). */
  name: string
  level: LineLevel
  test(line: string): boolean
}

const re = (name: string, level: LineLevel, pattern: RegExp): Signature => ({ name, level, test: (l) => pattern.test(l) })

export const PYTHON_TRACEBACK = 'python-traceback'

export const BUILTIN_SIGNATURES: readonly Signature[] = [
  re('cuda-oom', 'error', /CUDA out of memory|CUDA error: out of memory|OutOfMemoryError: CUDA/),
  re('nccl-error', 'error', /NCCL ERROR\b|\bnccl(?:SystemError|InternalError|UnhandledCudaError|RemoteError|InvalidUsage|InvalidArgument)\b|NCCL error|NCCL communicator was aborted|Watchdog caught collective operation timeout/),
  re('slurm-time-limit', 'error', /DUE TO TIME LIMIT/),
  re('slurm-cancelled', 'error', /\bCANCELLED AT\b/),
  re('slurmstepd-error', 'error', /slurmstepd(?:-[\w.-]+)?: error:/),
  re('oom-killer', 'error', /Out of memory: Kill(?:ed)? process|invoked oom-killer|\boom-kill:|Memory cgroup out of memory|Detected \d+ oom[-_]kill event/i),
  re('segfault', 'error', /Segmentation fault|\bsegfault at\b|SIGSEGV/),
]

/** The first line of a Python traceback. */
export const TRACEBACK_START = /^Traceback \(most recent call last\):\s*$/
