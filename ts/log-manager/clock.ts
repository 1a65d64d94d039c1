/**
 * The time text of a record, formatted once per millisecond: records logged in the same
 * millisecond (most of them, under load) reuse the previous string.
 */
export type TimeText = () => string

/** `prefix + Date.now()` (epoch ms). */
export function epochClock(prefix: string): TimeText {
  return oncePerMs((now) => prefix + now)
}

/** `prefix + ISO 8601 UTC with milliseconds + suffix`. */
export function isoClock(prefix: string, suffix: string): TimeText {
  return oncePerMs((now) => prefix + new Date(now).toISOString() + suffix)
}

/** The text `format` gives for the current millisecond, formatted only when the millisecond changes. */
function oncePerMs(format: (now: number) => string): TimeText {
  let last = -1
  let text = ''
  return () => {
    const now = Date.now()
    if (now !== last) {
      last = now
      text = format(now)
    }
    return text
  }
}
