#!/usr/bin/env node
// The logferry command line: `logferry cat`, `logferry transfer`, `logferry bench`.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LogferryError } from './errors.js'
import { collectCommand } from './cli/collect-command.js'
import { copyCommand } from './cli/copy-command.js'
import { searchCommand } from './cli/search-command.js'
import { serveCommand } from './cli/serve-command.js'
import { tailCommand } from './cli/tail-command.js'
import { transferCommand } from './cli/transfer-command.js'
import { readLogFile } from './read-log-file.js'

// The AWS SDK warns on every Node < 22 run; on a command line that is noise on stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const USAGE = `usage:
  logferry serve [options]    the logs service: sync logs from remote hosts (rsync/ssh,
                              storage URLs, a directory), categorise, REST API on
                              http://127.0.0.1:8004 (logferry serve --help)
  logferry tail [-f] [-n N] PATH|URL
                              the last lines of a file, then (-f) every line appended;
                              URL: a file of a running logferry serve (logferry tail --help)
  logferry search PATTERN [PATH...]
                              the lines matching PATTERN (a regex; -F literal), newest
                              file first, .gz/.zst decoded (logferry search --help)
  logferry cat FILE...        print the records of log files (text or framed); verifies
                              framed checksums; exits 1 on corruption, naming the offset
  logferry transfer SRC... DEST [options]
                              copy files between local disk, S3, GCS, Azure, HDFS, SFTP
                              with retries and verification (logferry transfer --help)
  logferry copy --config FILE run the copy jobs of a YAML config in the foreground until
                              SIGINT/SIGTERM (logferry copy --help)
  logferry collect COMMAND    collect compressed logs from servers over ssh/rsync, extract
                              them validated, idempotent state (logferry collect --help)
  logferry bench [--lines N]  run the benchmark against pino and others
                              (writes benches/results/latest.md and latest.svg)
  logferry --version          print the version`

async function cat(files: string[]): Promise<number> {
  if (files.length === 0) {
    process.stderr.write(`${USAGE}\n`)
    return 2
  }
  let status = 0
  for (const f of files) {
    try {
      let tornTail: number | undefined
      for await (const r of readLogFile(f, { onTornTail: (o) => (tornTail = o) })) {
        // Both writes always happen (a short-circuit skipped the newline whenever the record
        // filled the pipe, gluing two records together); then wait for the pipe if it is full.
        const a = process.stdout.write(r)
        const b = process.stdout.write('\n')
        if (!a || !b) {
          await new Promise((resolve) => process.stdout.once('drain', resolve))
        }
      }
      if (tornTail !== undefined) {
        process.stderr.write(`logferry: ${f}: incomplete record at byte offset ${tornTail} (torn tail after a crash), not printed\n`)
      }
    } catch (e) {
      const code = e instanceof LogferryError ? e.code : 'ERR'
      process.stderr.write(`logferry: ${f}: ${code}: ${(e as Error).message}\n`)
      status = 1
    }
  }
  return status
}

function bench(args: string[]): number {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..')
  const script = join(root, 'benches', 'run.mjs')
  if (!existsSync(script)) {
    process.stderr.write('logferry: benches/run.mjs is not part of this installation\n')
    return 2
  }
  const r = spawnSync(process.execPath, [script, ...args], { stdio: 'inherit' })
  return r.status ?? 1
}

/** `logferry --version`: the installed package's version. */
function version(): number {
  const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json')
  process.stdout.write(`logferry ${(JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version}\n`)
  return 0
}

const [cmd, ...rest] = process.argv.slice(2)
let code: number
switch (cmd) {
  case 'cat':
    code = await cat(rest)
    break
  case 'transfer':
    code = await transferCommand(rest)
    break
  case 'copy':
    code = await copyCommand(rest)
    break
  case 'search':
    code = await searchCommand(rest)
    break
  case 'serve':
    code = await serveCommand(rest)
    break
  case 'collect':
    code = await collectCommand(rest)
    break
  case 'tail':
    code = await tailCommand(rest)
    break
  case 'bench':
    code = bench(rest)
    break
  case '--version':
  case '-V':
    code = version()
    break
  default:
    process.stderr.write(`${USAGE}\n`)
    code = cmd === undefined || cmd === '--help' || cmd === '-h' ? 0 : 2
}
process.exitCode = code
