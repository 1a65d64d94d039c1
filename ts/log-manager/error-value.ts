/**
 * Error objects as plain data, in the shape of pino's `err` serializer (pino-std-serializers):
 * type, message and stack (with the messages and stacks of the `cause` chain appended),
 * aggregateErrors, then the error's other enumerable properties.
 */

function isErrorLike(v: unknown): v is Error {
  return typeof v === 'object' && v !== null && typeof (v as { message?: unknown }).message === 'string'
}

function causeOf(err: Error): Error | undefined {
  const c = (err as { cause?: unknown }).cause
  const v = typeof c === 'function' ? (c as () => unknown).call(err) : c
  return isErrorLike(v) ? v : undefined
}

function messageWithCauses(err: Error, seen: Set<Error>, skip: boolean): string {
  const message = skip ? '' : err.message || ''
  if (seen.has(err)) return message + ': ...'
  const cause = causeOf(err)
  if (!cause) return message
  seen.add(err)
  const verror = typeof (err as { cause?: unknown }).cause === 'function'
  return message + (verror ? '' : ': ') + messageWithCauses(cause, seen, verror)
}

function stackWithCauses(err: Error, seen: Set<Error>): string {
  const stack = err.stack || ''
  if (seen.has(err)) return stack + '\ncauses have become circular...'
  const cause = causeOf(err)
  if (!cause) return stack
  seen.add(err)
  return stack + '\ncaused by: ' + stackWithCauses(cause, seen)
}

/** `err` as pino writes it; `active` holds the errors being serialised (a cycle stops there). */
export function errorValue(err: Error, active: Set<Error> = new Set()): Record<string, unknown> {
  active.add(err)
  const ctor = (err as { constructor?: unknown }).constructor
  const out: Record<string, unknown> = {
    type: typeof ctor === 'function' && ctor.name ? ctor.name : err.name,
    message: messageWithCauses(err, new Set(), false),
    stack: stackWithCauses(err, new Set()),
  }
  const errors = (err as { errors?: unknown }).errors
  if (Array.isArray(errors)) out.aggregateErrors = errors.map((e: unknown) => (isErrorLike(e) && !active.has(e) ? errorValue(e, active) : e))
  for (const key in err) {
    if (out[key] !== undefined) continue
    const v = (err as unknown as Record<string, unknown>)[key]
    if (isErrorLike(v)) {
      if (key !== 'cause' && !active.has(v)) out[key] = errorValue(v, active)
    } else out[key] = v
  }
  active.delete(err)
  return out
}

export { isErrorLike }
