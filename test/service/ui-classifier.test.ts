/**
 * The web UI colours lines with the service's classifier, bundled for the browser into
 * ts/service/ui/classify.js by scripts/ui-classifier.mjs (committed: the UI is served as it is).
 * This fails when the classifier changed and the bundle was not made again.
 */
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
// @ts-expect-error: a plain .mjs build script without types
import { CLASSIFIER_OUTPUT, classifierModule } from '../../scripts/ui-classifier.mjs'
import { classifyLine } from '../../ts/service/errors/classifier.js'

describe('web UI classifier bundle', () => {
  it('is what scripts/ui-classifier.mjs makes from ts/service/errors/classifier.ts now', async () => {
    const made = (await classifierModule()) as string
    expect(await readFile(CLASSIFIER_OUTPUT as string, 'utf8'), 'run: node scripts/ui-classifier.mjs').toBe(made)
  })

  it('classifies as the service does', async () => {
    const ui = (await import('../../ts/service/ui/classify.js')) as { classifyLine: typeof classifyLine }
    const lines = [
      'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB',
      'slurmstepd: error: *** JOB 42 ON node1 CANCELLED AT 2026-12-01T10:00:00 DUE TO TIME LIMIT ***',
      '{"level":50,"msg":"boom"}',
      '2026-12-01 10:00:00 WARN disk almost full',
      'no error found here',
      '[ERROR] failed',
    ]
    for (const l of lines) expect(ui.classifyLine(l), l).toEqual(classifyLine(l))
  })
})
