/**
 * The time text of a record, formatted once per millisecond: records logged in the same
 * millisecond (most of them, under load) reuse the previous string.
 */
export type TimeText = () => string

/** `prefix + Date.now()` (epoch ms). */
export function epochClock(prefix: string): TimeText {
  let last = -1
  let text = ''
  return () => {
    const now = Date.now()
    if (now !== last) {
      last = now
      text = prefix + now
    }
    return text
  }
}

/** `prefix + ISO 8601 UTC with milliseconds + suffix`. */
export function isoClock(prefix: string, suffix: string): TimeText {
  let last = -1
  let text = ''
  return () => {
    const now = Date.now()
    if (now !== last) {
      last = now
      text = prefix + new Date(now).toISOString() + suffix
    }
    return text
  }
}
