/**
 * sha256/md5 of files on an SSH server, computed there: a few long-lived `sh` sessions on the
 * connection, each hashing one file per request (a path in, a digest out), so verifying a copy
 * costs one round trip and no new SSH session per file (sshd forks and sets up a session for
 * every exec, ~25 ms on a loaded host). The server's python3 hashes in one process (hashlib:
 * the CPU's SHA extensions, ~7x less CPU than coreutils' sha256sum on 512 MiB, and no process
 * started per file); without it a shell loop runs `sha256sum`/`md5sum` (else `openssl dgst`).
 * A followed hash (python only) reads each byte once the server has acknowledged its write, so
 * like a hash after the upload it checks what the server stored; a change to the hidden temp
 * file by someone else after its bytes were hashed would go unseen, as one after a late hash.
 */
import type { Client, ClientChannel } from 'ssh2'

export type RemoteHashAlgorithm = 'sha256' | 'md5'

/**
 * Where the server has python3: one process hashes every file of the session (hashlib, which
 * uses the CPU's SHA extensions), with no process started per file. Each answer also states the
 * bytes hashed and the file's mtime, so the caller needs no stat of its own. A 'follow' request
 * hashes a file while it is being written: the client says how far the server has acknowledged
 * its writes ('+<offset>'), the script hashes up to there, and after '=' (all written) reads on to
 * the end, so the digest of a large upload is ready right after its last write.
 */
const PYTHON = [
  'import os, stat, sys, hashlib',
  'i = sys.stdin.buffer',
  'o = sys.stdout',
  'o.write("ready sha256 md5 size follow\\n")',
  'o.flush()',
  'buf = bytearray(1 << 20)',
  'view = memoryview(buf)',
  'def feed(f, h, left):',
  '    n = 0',
  '    while left is None or n < left:',
  '        k = f.readinto(view if left is None else view[:min(len(buf), left - n)])',
  '        if not k:',
  '            break',
  '        h.update(view[:k])',
  '        n += k',
  '    return n',
  'while True:',
  '    a = i.readline()',
  '    p = i.readline()',
  '    if not p.endswith(b"\\n"):',
  '        break',
  '    follow = a.startswith(b"follow ")',
  '    ended = not follow',
  '    try:',
  '        alg = a[7:-1] if follow else a[:-1]',
  '        if alg not in (b"sha256", b"md5"):',
  '            raise ValueError(a)',
  '        h = hashlib.new(alg.decode())',
  // O_NONBLOCK: opening a FIFO must not hang the session (it is no regular file: 'x').
  '        with open(os.open(p[:-1], os.O_RDONLY | os.O_NONBLOCK), "rb", buffering=0) as f:',
  '            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):',
  '                raise ValueError(p)',
  '            n = 0',
  '            while not ended:',
  '                m = i.readline()',
  '                if m.startswith(b"+"):',
  '                    n += feed(f, h, int(m[1:]) - n)',
  '                else:',
  '                    ended = True',
  '            n += feed(f, h, None)',
  '            r = "%s * %d %.6f" % (h.hexdigest(), n, os.fstat(f.fileno()).st_mtime)',
  '    except Exception:',
  '        r = "x"',
  // A follow request that failed early still reads its progress lines up to its '='.
  '    while not ended:',
  '        m = i.readline()',
  '        ended = not m.startswith(b"+")',
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
/** What python's answer adds after the digest: bytes hashed and mtime (seconds). */
const SIZE = /^[0-9a-f]+ \* (\d+) (\d+(?:\.\d+)?)$/

/** What the server answered for one file. */
export interface RemoteDigest {
  /** Lowercase hex. */
  value: string
  /** Bytes hashed and the file's mtime then, when the server states them (python). */
  stat?: { bytes: number; mtime: Date }
}

/** Acknowledged progress is sent to a following hash in steps of this many bytes. */
const FOLLOW_STEP = 8 << 20

/** A hash running while its file is written (RemoteHasher.follow). */
export interface FollowedHash {
  /** The server has acknowledged every byte before `offset`: they may be hashed. */
  advance(offset: number): void
  /** Every write is acknowledged: the digest of the whole file (undefined when the server cannot tell). */
  finish(): Promise<RemoteDigest | undefined>
}

function parse(line: string | undefined, algorithm: RemoteHashAlgorithm): RemoteDigest | undefined {
  const value = line === undefined ? undefined : DIGEST[algorithm].exec(line)?.[1]
  if (value === undefined) return undefined
  const s = SIZE.exec(line as string)
  return s ? { value, stat: { bytes: Number(s[1]), mtime: new Date(Number(s[2]) * 1000) } } : { value }
}

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

  /** A started session and its ready line's words (the kinds it hashes, 'size', 'follow'); undefined when the server has no shell for it. */
  static open(client: Client): Promise<{ session: HashSession; words: Set<string> } | undefined> {
    return new Promise((resolve) => {
      client.exec(COMMAND, (err, channel) => {
        if (err) return resolve(undefined)
        const s = new HashSession(channel)
        const ready = (line: string | undefined): void => {
          if (line === undefined) return resolve(undefined)
          if (!line.startsWith('ready')) return void s.next().then(ready) // a login script's noise
          resolve({ session: s, words: new Set(line.split(/\s+/).slice(1)) })
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

  /** The digest, or undefined when the server cannot tell. */
  async hash(path: string, algorithm: RemoteHashAlgorithm): Promise<RemoteDigest | undefined> {
    if (this.gone) return undefined
    this.channel.write(`${algorithm}\n${path}\n`)
    return parse(await this.next(), algorithm)
  }

  /** Starts a follow request (the script must have said 'follow'); send() writes its progress lines. */
  follow(path: string, algorithm: RemoteHashAlgorithm): void {
    if (!this.gone) this.channel.write(`follow ${algorithm}\n${path}\n`)
  }

  send(line: string): void {
    if (!this.gone) this.channel.write(line)
  }

  /** The answer to the request under way. */
  async answer(algorithm: RemoteHashAlgorithm): Promise<RemoteDigest | undefined> {
    return this.gone ? undefined : parse(await this.next(), algorithm)
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
  /** The server hashes a file while it is written (FollowedHash); undefined: not yet known. */
  follows: boolean | undefined
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
  async hash(path: string, algorithm: RemoteHashAlgorithm): Promise<RemoteDigest | undefined> {
    if (!this.asked(path, algorithm)) return undefined
    const s = await this.take()
    if (!s) return undefined
    try {
      return this.kinds?.has(algorithm) ? await s.hash(path, algorithm) : undefined
    } finally {
      this.give(s)
    }
  }

  /**
   * A hash of `path` that runs while the file is written, holding one session until finish();
   * undefined when the server cannot (no python) or every session is busy now (the caller then
   * asks hash() once the file is written).
   */
  async follow(path: string, algorithm: RemoteHashAlgorithm): Promise<FollowedHash | undefined> {
    if (!this.asked(path, algorithm) || this.follows === false) return undefined
    if (this.idle.length === 0 && this.open >= this.max) return undefined
    const s = await this.take()
    if (!s) return undefined
    if (!this.follows || !this.kinds?.has(algorithm)) {
      this.give(s)
      return undefined
    }
    s.follow(path, algorithm)
    let sent = 0
    let finished: Promise<RemoteDigest | undefined> | undefined
    return {
      advance: (offset) => {
        if (finished || offset - sent < FOLLOW_STEP) return
        sent = offset
        s.send(`+${offset}\n`)
      },
      finish: () =>
        (finished ??= (async () => {
          s.send('=\n')
          try {
            return await s.answer(algorithm)
          } finally {
            this.give(s)
          }
        })()),
    }
  }

  /** One request is two lines: a path with a line break cannot be asked for. */
  private asked(path: string, algorithm: RemoteHashAlgorithm): boolean {
    return !this.unavailable && this.kinds?.has(algorithm) !== false && !/[\n\r]/.test(path)
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
    this.kinds ??= new Set([...started.words].filter((k): k is RemoteHashAlgorithm => k === 'sha256' || k === 'md5'))
    this.follows ??= started.words.has('follow')
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
