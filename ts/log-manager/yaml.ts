/** The YAML parser, loaded by the first config read: the package root stays cheap to import. */
import type * as Yaml from 'yaml'
import { lazyModule } from '../lazy-module.js'

export const yaml = lazyModule<typeof Yaml>('yaml')
