#!/usr/bin/env node
// Builds the native addon from source (cargo + napi) and the TypeScript layer.
// `--if-missing`: used by the npm install hook; skips the native build when a prebuilt
// binary for this platform is already installed (the optional per-platform package).
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const ifMissing = process.argv.includes('--if-missing')
const copyOnly = process.argv.includes('--copy-only')
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' })

function prebuiltAvailable() {
  const require = createRequire(join(root, 'package.json'))
  const local = readdirSync(join(root, 'ts')).some((f) => f.endsWith('.node'))
  if (local) return true
  try {
    require(join(root, 'ts', 'binding.cjs'))
    return true
  } catch {
    return false
  }
}

if (!copyOnly && !(ifMissing && prebuiltAvailable())) {
  if (!existsSync(join(root, 'Cargo.toml'))) {
    console.error('logferry: no prebuilt binary for this platform and no Rust sources to build from')
    process.exit(1)
  }
  run('npx', ['napi', 'build', '--platform', '--release', '--package', 'logferry-node',
    '--manifest-path', 'crates/node/Cargo.toml', '--output-dir', 'ts',
    '--js', 'binding.cjs', '--dts', 'binding.d.cts', '--no-const-enum'])
}
if (!copyOnly && existsSync(join(root, 'tsconfig.json')) && existsSync(join(root, 'node_modules', 'typescript'))) {
  run('npx', ['tsc', '-p', 'tsconfig.json'])
  if (existsSync(join(root, 'node_modules', 'esbuild'))) run(process.execPath, [join(root, 'scripts', 'bundle.mjs')])
}
mkdirSync(join(root, 'dist'), { recursive: true })
for (const f of readdirSync(join(root, 'ts'))) {
  if (f.endsWith('.node') || f === 'binding.cjs' || f === 'binding.d.cts') {
    // Temp name + rename: a process that has the old addon loaded keeps its mapping intact
    // (copying over a mapped .node in place crashes it).
    const tmp = join(root, 'dist', `.${f}.${process.pid}.tmp`)
    copyFileSync(join(root, 'ts', f), tmp)
    renameSync(tmp, join(root, 'dist', f))
  }
}
