// Reading log files of both formats back, record by record.
import { call } from './errors.js'
import { native } from './native.js'

export interface LogFileContents {
  records: Buffer[]
  format: 'text' | 'framed'
  /** Byte offset where an incomplete record left by a crash starts, if any. */
  tornTail: number | undefined
}

/** Reads a whole file; throws a LogferryError with code ERR_CORRUPT (and the offset) on corruption. */
export function readLogFileSync(path: string): LogFileContents {
  const r = call(() => native.readLogFileSync(path))
  return { records: r.records, format: r.format === 'framed' ? 'framed' : 'text', tornTail: r.tornTail ?? undefined }
}

/** Yields every record of a file as a Buffer (text records without their newline). */
export async function* readLogFile(path: string): AsyncGenerator<Buffer, void, undefined> {
  const { records } = readLogFileSync(path)
  yield* records
}
