/** One options validator for every public entry point: schemas, reporters and shared defaults. */
export * from './schema.js'
export { validateOptions, reportIssue, invalidArgReporter, invalidConfigReporter, configErrorReporter } from './validate-options.js'
export { closest } from './did-you-mean.js'
export { sizeOf, rateOf, durationOf } from './units.js'
export { DEFAULT_RETRIES, DEFAULT_RETRY_DELAY_MS } from './defaults.js'
