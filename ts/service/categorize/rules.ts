/**
 * Which category a log file belongs to, from its name: an ordered rule list, first match wins
 * (the seed's table is the default), `uncategorized` when nothing matches.
 */
import { globToRegExp } from '../../storage/glob.js'
import type { CategoryRule } from '../types.js'

export const UNCATEGORIZED = 'uncategorized'

/** The seed's table, in its order: case-insensitive substrings of the file name. */
export const DEFAULT_RULES: readonly CategoryRule[] = (
  [
    ['server', ['server-', 'orchestrator', 'slurm-job']],
    ['client', ['client-', 'benchmark-']],
    ['monitoring', ['monitor', 'prometheus', 'grafana']],
    ['vllm', ['vllm', 'model-server', 'inference']],
    ['slurm', ['.err', '.out', 'slurm-', 'sbatch']],
    ['logs', ['logs-service']],
  ] as const
).flatMap(([category, patterns]) => patterns.map((pattern): CategoryRule => ({ category, match: 'substring', pattern })))

/** A category name is one path segment of `<data>/categorized/`. */
export const CATEGORY_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

export interface Categorizer {
  /** Category names in rule order (first appearance), then `uncategorized`. */
  readonly categories: readonly string[]
  categorize(fileName: string): string
}

function matcher(rule: CategoryRule): (name: string) => boolean {
  switch (rule.match) {
    case 'substring': {
      const p = rule.pattern.toLowerCase()
      return (name) => name.toLowerCase().includes(p)
    }
    case 'glob': {
      const re = new RegExp(globToRegExp(rule.pattern.toLowerCase()).source)
      return (name) => re.test(name.toLowerCase())
    }
    case 'regex': {
      const re = new RegExp(rule.pattern, 'i')
      return (name) => re.test(name)
    }
  }
}

/** Compiles `rules` (already validated: names, patterns, regex syntax). */
export function createCategorizer(rules: readonly CategoryRule[]): Categorizer {
  const compiled = rules.map((r) => ({ category: r.category, test: matcher(r) }))
  const categories = [...new Set([...rules.map((r) => r.category), UNCATEGORIZED])]
  return {
    categories,
    categorize(fileName) {
      for (const r of compiled) if (r.test(fileName)) return r.category
      return UNCATEGORIZED
    },
  }
}
