/**
 * sha256/md5 of files on an SSH server, computed there: a few long-lived `sh` sessions on the
 * connection, each hashing one file per request (a path in, a digest out), so verifying a copy
 * costs one round trip and no new SSH session per file (sshd forks and sets up a session for
 * every exec, ~25 ms on a loaded host). The server's python3 hashes in one process (hashlib:
 * the CPU's SHA extensions, ~7x less CPU than coreutils' sha256sum on 512 MiB, and no process
 * started per file); without it a shell loop runs `sha256sum`/`md5sum` (else `openssl dgst`).
 */
import type { Client, ClientChannel } from 'ssh2'

export type RemoteHashAlgorithm = 'sha256' | 'md5'

/**
 * Where the server has python3: one process hashes every file of the session (hashlib, which
 * uses the CPU's SHA extensions), with no process started per file.
 */
const PYTHON = [
  'import os, stat, sys, hashlib',
  'i = sys.stdin.buffer',
  'o = sys.stdout',
  'o.write("ready sha256 md5\\n")',
  'o.flush()',
  'buf = bytearray(1 << 20)',
  'view = memoryview(buf)',
  'while True:',
  '    a = i.readline()',
  '    p = i.readline()',
  '    if not p.endswith(b"\\n"):',
  '        break',
  '    try:',
  '        if a not in (b"sha256\\n", b"md5\\n"):',
  '            raise ValueError(a)',
  '        h = hashlib.new(a[:-1].decode())',
  // O_NONBLOCK: opening a FIFO must not hang the session (it is no regular file: 'x').
  '        with open(os.open(p[:-1], os.O_RDONLY | os.O_NONBLOCK), "rb", buffering=0) as f:',
  '            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):',
  '                raise ValueError(p)',
  '            n = f.readinto(buf)',
  '            while n:',
  '                h.update(view[:n])',
  '                n = f.readinto(buf)',
  '        r = h.hexdigest() + " *"',
  '    except Exception:',
  '        r = "x"',
  '    o.write(r + "\\n")',
  '    o.flush()',
].join('\n')

/**
 * The session's script, one line and free of single quotes (the login shell may be csh): python3
 * when there is one; else a shell loop running sha256sum/md5sum (or openssl) per file. It answers
 * 'ready' and the kinds it can hash, then one line per request: '<hex> ...', or 'x' when it
 * cannot tell (not a regular file, unreadable, no tool).
 */
const SCRIPT = [
  `command -v python3 >/dev/null 2>&1 && python3 -c "import base64; exec(base64.b64decode(\\"${Buffer.from(PYTHON).toString('base64')}\\"))" 2>/dev/null && exit`,
  'S=; M=',
  'for c in "sha256sum -b" "openssl dgst -sha256 -r"; do case $(printf "" | $c 2>/dev/null) in e3b0c44298fc1c149afbf4c8996fb924*) S=$c; break;; esac; done',
  'for c in "md5sum -b" "openssl dgst -md5 -r"; do case $(printf "" | $c 2>/dev/null) in d41d8cd98f00b204e9800998ecf8427e*) M=$c; break;; esac; done',
  'echo "ready ${S:+sha256} ${M:+md5}"',
  'while IFS= read -r a && IFS= read -r p; do case $a in sha256) c=$S;; md5) c=$M;; *) c=;; esac; if [ -n "$c" ] && [ -f "$p" ]; then { $c < "$p" || echo x; } 2>/dev/null; else echo x; fi; done',
].join('; ')

const COMMAND = `sh -c '${SCRIPT}'`
const DIGEST = { sha256: /^([0-9a-f]{64})\s/, md5: /^([0-9a-f]{32})\s/ } as const

/** One `sh` session answering hash requests in order. */
class HashSession {
  private buffered = ''
  private readonly lines: string[] = []
  private waiter: ((line: string | undefined) => void) | undefined
  gone = false

  private constructor(private readonly channel: ClientChannel) {
    channel.on('data', (d: Buffer) => {
      this.buffered += d.toString('latin1')
      for (let nl = this.buffered.indexOf('\n'); nl >= 0; nl = this.buffered.indexOf('\n')) {
        this.push(this.buffered.slice(0, nl))
        this.buffered = this.buffered.slice(nl + 1)
      }
      if (this.buffered.length > 1 << 16) this.buffered = '' // not the script talking
    })
    channel.stderr.on('data', () => undefined)
    channel.on('close', () => {
      this.gone = true
      this.waiter?.(undefined)
      this.waiter = undefined
    })
  }

  /** A started session and the kinds it hashes; undefined when the server has no shell for it. */
  static open(client: Client): Promise<{ session: HashSession; kinds: Set<RemoteHashAlgorithm> } | undefined> {
    return new Promise((resolve) => {
      client.exec(COMMAND, (err, channel) => {
        if (err) return resolve(undefined)
        const s = new HashSession(channel)
        const ready = (line: string | undefined): void => {
          if (line === undefined) return resolve(undefined)
          if (!line.startsWith('ready')) return void s.next().then(ready) // a login script's noise
          const kinds = new Set(line.split(/\s+/).slice(1).filter((k): k is RemoteHashAlgorithm => k === 'sha256' || k === 'md5'))
          resolve({ session: s, kinds })
        }
        void s.next().then(ready)
      })
    })
  }

  private push(line: string): void {
    const w = this.waiter
    if (w) {
      this.waiter = undefined
      w(line)
    } else this.lines.push(line)
  }

  private next(): Promise<string | undefined> {
    const line = this.lines.shift()
    if (line !== undefined) return Promise.resolve(line)
    if (this.gone) return Promise.resolve(undefined)
    return new Promise((resolve) => (this.waiter = resolve))
  }

  /** The hex digest, or undefined when the server cannot tell. */
  async hash(path: string, algorithm: RemoteHashAlgorithm): Promise<string | undefined> {
    if (this.gone) return undefined
    this.channel.write(`${algorithm}\n${path}\n`)
    const line = await this.next()
    return line === undefined ? undefined : DIGEST[algorithm].exec(line)?.[1]
  }

  close(): void {
    this.gone = true
    this.channel.end()
  }
}

/** The hash sessions of one SSH connection: up to `max` at once, started when needed, then reused. */
export class RemoteHasher {
  private readonly idle: HashSession[] = []
  private open = 0
  private readonly queue: ((s: HashSession | undefined) => void)[] = []
  /** What the server hashes (known after the first session started); undefined: not yet known. */
  kinds: Set<RemoteHashAlgorithm> | undefined
  /** Set when the server has no shell for it: every hash() answers undefined. */
  unavailable = false

  constructor(
    private readonly client: Client,
    private readonly max = 2,
  ) {}

  /**
   * The digest of `path` (absolute on the server), or undefined when the server cannot tell
   * (the caller reads the file back instead).
   */
  async hash(path: string, algorithm: RemoteHashAlgorithm): Promise<string | undefined> {
    // One request is two lines: a path with a line break cannot be asked for.
    if (this.unavailable || this.kinds?.has(algorithm) === false || /[\n\r]/.test(path)) return undefined
    const s = await this.take()
    if (!s) return undefined
    try {
      return this.kinds?.has(algorithm) ? await s.hash(path, algorithm) : undefined
    } finally {
      this.give(s)
    }
  }

  private async take(): Promise<HashSession | undefined> {
    while (this.idle.length > 0) {
      const s = this.idle.pop() as HashSession
      if (!s.gone) return s
      this.open--
    }
    if (this.open >= this.max) return new Promise((resolve) => this.queue.push(resolve))
    this.open++
    const started = await HashSession.open(this.client)
    if (!started) {
      this.open--
      // No session could start: a host without a shell for this account (ForceCommand, nologin)
      // when none ever did; else the session limit, and the caller reads back this once.
      if (this.kinds === undefined) this.unavailable = true
      return undefined
    }
    this.kinds ??= started.kinds
    return started.session
  }

  private give(s: HashSession): void {
    if (s.gone) {
      this.open--
      const w = this.queue.shift()
      if (w) void this.take().then(w, () => w(undefined))
      return
    }
    const w = this.queue.shift()
    if (w) w(s)
    else this.idle.push(s)
  }

  close(): void {
    for (const s of this.idle) s.close()
    this.idle.length = 0
    for (const w of this.queue.splice(0)) w(undefined)
  }
}
