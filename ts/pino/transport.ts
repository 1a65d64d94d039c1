/**
 * `pino.transport({ target: 'logferry/transport', options: { logFilePath } })`: the engine in
 * pino's transport worker thread. The worker hands over text in chunks of whole or partial lines;
 * complete lines go to the engine in batches, a partial one waits for its end.
 */
import { Writable } from 'node:stream'
import type { DestinationOptions } from './destination.js'
import { Logger } from '../logger.js'

/** What pino adds to a transport's options, beside the user's. */
interface PinoAdded {
  $context?: unknown
  pinoWillSendConfig?: unknown
}

export default function transport(options: DestinationOptions & PinoAdded): Writable {
  const { $context: _context, pinoWillSendConfig: _config, ...engine } = options
  const logger = new Logger({ ...engine, format: 'text' })
  let carry = ''
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _enc, cb) {
      try {
        const text = carry + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'))
        const end = text.lastIndexOf('\n')
        if (end < 0) carry = text
        else {
          carry = text.slice(end + 1)
          logger.logBatch(text.slice(0, end).split('\n'))
        }
        cb()
      } catch (err) {
        cb(err as Error)
      }
    },
    final(cb) {
      if (carry !== '') logger.log(carry)
      carry = ''
      logger.close().then(() => cb(), cb)
    },
  })
}
