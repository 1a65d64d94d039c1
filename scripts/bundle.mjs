#!/usr/bin/env node
// Bundles the package's entry points (package.json "exports" and "bin") from ts/ into dist/,
// with the code they share in dist/chunk-*.js (one copy of every class, whichever entry loaded
// it). Why: Node's ESM loader costs ~0.4 ms per module file and the root reaches ~100 of them;
// one bundle per entry keeps `import 'logferry'` near pino's cost (docs/engine.md "Import cost").
// Dependencies stay external (the heavy ones are loaded lazily, ts/lazy-module.ts); tsc still
// writes the .d.ts files and the per-module .js next to them.
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { classifierModule } from './ui-classifier.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const dist = join(root, 'dist')

const outputs = [
  ...Object.values(pkg.exports).map((e) => (typeof e === 'string' ? e : e.import)),
  ...Object.values(pkg.bin),
].filter((p) => p.endsWith('.js'))
const entryPoints = outputs.map((p) => join(root, p.replace(/^(\.\/)?dist\//, 'ts/').replace(/\.js$/, '.ts')))

for (const f of readdirSync(dist)) if (/^chunk-.*\.js(\.map)?$/.test(f)) rmSync(join(dist, f))
await build({
  entryPoints,
  outdir: dist,
  outbase: join(root, 'ts'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
})

// The web UI's browser files are served as they are (ts/service/http/routes/ui.ts finds them
// under service/ui/ in ts/ or in dist/).
const ui = join(dist, 'service', 'ui')
rmSync(ui, { recursive: true, force: true })
cpSync(join(root, 'ts', 'service', 'ui'), ui, { recursive: true, filter: (src) => !src.endsWith('tsconfig.json') })
// Its line classifier made from the service's own, whatever the committed copy says (a stale
// copy fails test/service/ui-classifier.test.ts; the package never ships one).
writeFileSync(join(ui, 'classify.js'), await classifierModule())
