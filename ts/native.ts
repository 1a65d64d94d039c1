// Loads the generated napi-rs binding (CommonJS) from this ESM package.
import { createRequire } from 'node:module'
import type * as Binding from './binding.cjs'

const require = createRequire(import.meta.url)

export const native: typeof Binding = require('./binding.cjs') as typeof Binding
export type { NativeLogger, NativeOptions, NativeStats, NativeFlushMetrics, NativeSealedName } from './binding.cjs'
