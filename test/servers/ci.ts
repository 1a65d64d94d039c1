/**
 * The one CI rule of the test suites: any non-empty CI (CI=true, CI=1, ...) counts as CI, and in
 * CI a test server that does not start fails the run instead of skipping its tests.
 */
export const inCI: boolean = (process.env.CI ?? '') !== ''
