/** The stop signal of the long-running commands (`logferry copy`, `logferry serve`). */

/**
 * Resolves with the first SIGINT or SIGTERM. From then on a second signal ends the process at
 * once (130 / 143), for a user who does not want to wait for the graceful stop.
 */
export function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', on)
      process.off('SIGTERM', on)
      process.once('SIGINT', () => process.exit(130))
      process.once('SIGTERM', () => process.exit(143))
      resolve(sig)
    }
    process.on('SIGINT', on)
    process.on('SIGTERM', on)
  })
}
