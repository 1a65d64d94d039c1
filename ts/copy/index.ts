/** Periodic copy jobs: local log files shipped to any storage backend on an interval. */
export { CopyJobRunner, type CopyJobRunnerOptions } from './copy-job-runner.js'
export type { CopyJobOptions, CopyOperationInfo, CopyRunResult, StopCopyOptions } from './types.js'
export { CopyJobHost } from './copy-job-host.js'
