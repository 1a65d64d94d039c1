// Reading log files of both formats back, record by record.
import { call } from './errors.js'
import { native } from './native.js'
import { func, object, optional, type Field } from './options/schema.js'
import { invalidConfigReporter, validateOptions } from './options/validate-options.js'

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

export interface ReadLogFileOptions {
  /** Called once at the end if the file ends with an incomplete record (crash). */
  onTornTail?: (offset: number) => void
}

const READ_OPTIONS = object({ onTornTail: optional(func<(offset: number) => void>()) } satisfies Record<keyof ReadLogFileOptions, Field<unknown>>)

/**
 * Yields every record of a file as a Buffer (text records without their newline), reading
 * in batches so memory stays bounded however large the file. Corruption throws a
 * LogferryError with code ERR_CORRUPT naming the byte offset.
 */
export async function* readLogFile(path: string, options: ReadLogFileOptions = {}): AsyncGenerator<Buffer, void, undefined> {
  const { onTornTail } = validateOptions(READ_OPTIONS, options, invalidConfigReporter())
  const reader = call(() => new native.LogFileReader(path))
  try {
    for (;;) {
      const batch = call(() => reader.nextBatch(1024))
      if (batch.length === 0) break
      yield* batch
    }
    const torn = reader.tornTail()
    if (torn !== null && torn !== undefined) onTornTail?.(torn)
  } finally {
    reader.close()
  }
}
