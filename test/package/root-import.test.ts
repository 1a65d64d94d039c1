// `import 'logferry'` must stay cheap (docs/engine.md "Import cost"): the package root loads no
// cloud SDK, ssh2, database, server framework, metrics library or YAML parser; each is loaded by
// the feature that needs it. Checked in fresh processes on the source tree (ts/index.ts, so a new
// module that imports one of them eagerly fails here at once) and on the built package as users
// get it (`logferry` resolves to dist/ through the package's own exports). The time and memory
// figures are a benchmark's business (npm run bench:import), not a test's.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const root = resolve('.')
const hook = join(root, 'test/package/fixtures/record-loads.mjs')
const scratch = mkdtempSync(join(tmpdir(), 'logferry-import-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** Packages the root must not load, by their node_modules directory names. */
const HEAVY = [
  /^@aws-sdk\//,
  /^@smithy\//,
  /^@google-cloud\//,
  /^@azure\//,
  /^ssh2$/,
  /^better-sqlite3$/,
  /^fastify$/,
  /^@fastify\//,
  /^prom-client$/,
  /^yaml$/,
]

let run = 0
/** Runs `code` (an ES module body) in a fresh Node; returns the packages it loaded. */
function packagesLoaded(code: string, source: 'ts' | 'dist'): string[] {
  const file = join(scratch, `loads-${run++}.txt`)
  const args = [...(source === 'ts' ? ['--import', 'tsx'] : []), '--import', hook, '--input-type=module', '-e', code]
  execFileSync(process.execPath, args, { cwd: root, env: { ...process.env, LOADS_FILE: file }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  const names = new Set<string>()
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(line)
    if (m) names.add(m[1] as string)
  }
  return [...names].sort()
}

const heavy = (names: string[]): string[] => names.filter((n) => HEAVY.some((re) => re.test(n)))

const entries = {
  ts: { root: './ts/index.ts', storage: './ts/storage/index.ts' },
  dist: { root: 'logferry', storage: 'logferry/storage' },
} as const

describe.each(['ts', 'dist'] as const)('importing the package root (%s)', (source) => {
  const e = entries[source]

  it('loads none of the heavy dependencies, and every public name is there', () => {
    const loaded = packagesLoaded(
      `const m = await import(${JSON.stringify(e.root)})
       for (const name of ['Logger', 'LoggerManager', 'filesystem', 'S3FileSystem', 'GcsFileSystem', 'AzureBlobFileSystem', 'SftpFileSystem', 'transferFiles', 'Uploader', 'CopyJobRunner', 'LogManager', 'parseYaml']) {
         if (typeof m[name] !== 'function') throw new Error(name + ' is not exported')
       }`,
      source,
    )
    expect(heavy(loaded)).toEqual([])
  })

  it('the first filesystem of a kind loads its SDK, and only its own', () => {
    const loaded = packagesLoaded(
      `const { filesystem } = await import(${JSON.stringify(e.storage)})
       const fs = filesystem('s3://bucket/prefix?endpoint=http://127.0.0.1:9')
       if (typeof fs.client.send !== 'function') throw new Error('no S3 client')`,
      source,
    )
    expect(loaded).toContain('@aws-sdk/client-s3')
    expect(heavy(loaded).filter((n) => !/^@aws-sdk\/|^@smithy\//.test(n))).toEqual([])
  })

  it('GCS, Azure and SFTP load theirs when built (SFTP: when it first connects)', async () => {
    const loaded = packagesLoaded(
      `const { filesystem, StorageError } = await import(${JSON.stringify(e.storage)})
       filesystem('gs://bucket?apiEndpoint=http://127.0.0.1:9')
       filesystem({ protocol: 'az', container: 'c', endpoint: 'http://127.0.0.1:9/devstoreaccount1' })
       const sftp = filesystem('sftp://u:p@127.0.0.1:9/dir')
       const err = await sftp.stat('x').then(() => undefined, (e) => e)
       if (!(err instanceof StorageError)) throw new Error('expected a StorageError, got ' + err)`,
      source,
    )
    expect(loaded).toEqual(expect.arrayContaining(['@google-cloud/storage', '@azure/storage-blob', 'ssh2']))
    expect(loaded).not.toContain('@aws-sdk/client-s3')
  })
})
