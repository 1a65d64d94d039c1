/**
 * GET /logs/content against GNU coreutils on the same bytes: `tail=N` equals `tail -n N`,
 * `head=N` equals `head -n N`, byte for byte, on plain, .gz (also several members) and .zst
 * files, including no final newline, CRLF, empty files, one line, lines longer than the read
 * block; offset/length, download, and the limits.
 */
import { execFileSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ZstdCompressStream } from '../../ts/transfer/zstd-stream.js'
import { startHarness, type Harness } from './http-harness.js'

async function zstd(data: Buffer): Promise<Buffer> {
  const out: Buffer[] = []
  await pipeline(
    Readable.from([data]),
    new ZstdCompressStream(),
    new Writable({
      write(c: Buffer, _e, cb) {
        out.push(c)
        cb()
      },
    }),
  )
  return Buffer.concat(out)
}

const longLine = (n: number, ch: string): string => ch.repeat(n)

/** Name -> content: the shapes tail gets wrong most easily. */
const cases: Record<string, string> = {
  'empty.log': '',
  'one-line.log': 'only line\n',
  'one-line-no-nl.log': 'only line, no newline',
  'no-final-nl.log': 'a\nb\nc\nd',
  'final-nl.log': 'a\nb\nc\nd\n',
  'crlf.log': 'one\r\ntwo\r\nthree\r\nfour\r\n',
  'crlf-no-final.log': 'one\r\ntwo\r\nthree',
  'only-newlines.log': '\n\n\n\n\n',
  'blank-lines.log': 'x\n\n\ny\n\n',
  'long-lines.log': `${longLine(200_000, 'a')}\n${longLine(150_000, 'b')}\n${longLine(70_000, 'c')}\nshort\n${longLine(300_000, 'd')}`,
  'one-huge-line.log': longLine(1_000_000, 'z'),
  'many.log': Array.from({ length: 20_000 }, (_, i) => `2026-12-01T10:00:00.${String(i).padStart(5, '0')}Z line ${i} ${'x'.repeat(i % 97)}`).join('\n') + '\n',
  'utf8.log': 'héllo\nwörld ✓\n日本語\n',
}
const counts = [0, 1, 2, 3, 5, 100, 1000, 19_999, 20_000, 25_000]

let h: Harness
const plain = new Map<string, string>()

beforeAll(async () => {
  h = await startHarness({ limits: { maxTail: 50_000 } })
  for (const [name, content] of Object.entries(cases)) {
    const p = await h.put(name, content)
    plain.set(name, p)
    await h.put(`${name}.gz`, gzipSync(Buffer.from(content)))
    await h.put(`${name}.zst`, await zstd(Buffer.from(content)))
  }
  // Two gzip members, as `cat a.gz b.gz` makes (rotation tools do).
  await h.put('members.log.gz', Buffer.concat([gzipSync(Buffer.from('m1 a\nm1 b\n')), gzipSync(Buffer.from('m2 c\nm2 d'))]))
  await h.sync()
})
afterAll(async () => h?.stop())

const gnu = (tool: 'tail' | 'head', n: number, file: string): Buffer => execFileSync(tool, ['-n', String(n), file], { maxBuffer: 64 << 20 })

async function content(query: string): Promise<Buffer> {
  const r = await h.get(`/logs/content?${query}`)
  expect(r.status, r.body.toString().slice(0, 300)).toBe(200)
  expect(r.headers['content-type']).toBe('text/plain; charset=utf-8')
  return r.body
}

const pathOf = (name: string): string => encodeURIComponent(`logs/${h.source}/${name}`)

describe('tail=N equals GNU tail -n N', () => {
  for (const name of Object.keys(cases)) {
    it(name, async () => {
      for (const n of counts) {
        const want = gnu('tail', n, plain.get(name) as string)
        for (const suffix of ['', '.gz', '.zst']) {
          const got = await content(`path=${pathOf(name + suffix)}&tail=${n}`)
          expect(got.equals(want), `${name}${suffix} tail=${n}: got ${got.length} bytes, GNU ${want.length}`).toBe(true)
        }
      }
    })
  }

  it('through the categorised path too (the core hard-links files into categorized/)', async () => {
    const list = (await h.get(`/logs?name=${encodeURIComponent('many.log')}`)).json() as { files: { path: string }[] }
    expect(list.files.length).toBe(1)
    const p = list.files[0]?.path as string
    expect(p.startsWith('categorized/')).toBe(true)
    const got = await content(`path=${encodeURIComponent(p)}&tail=7`)
    expect(got.equals(gnu('tail', 7, plain.get('many.log') as string))).toBe(true)
  })

  it('a gzip file of several members is decoded whole', async () => {
    expect((await content(`path=${pathOf('members.log.gz')}&tail=3`)).toString()).toBe('m1 b\nm2 c\nm2 d')
    expect((await content(`path=${pathOf('members.log.gz')}`)).toString()).toBe('m1 a\nm1 b\nm2 c\nm2 d')
  })
})

describe('head=N equals GNU head -n N', () => {
  for (const name of ['empty.log', 'one-line-no-nl.log', 'no-final-nl.log', 'crlf.log', 'long-lines.log', 'many.log']) {
    it(name, async () => {
      for (const n of [0, 1, 2, 4, 1000, 25_000]) {
        const want = gnu('head', n, plain.get(name) as string)
        for (const suffix of ['', '.gz', '.zst']) {
          const got = await content(`path=${pathOf(name + suffix)}&head=${n}`)
          expect(got.equals(want), `${name}${suffix} head=${n}`).toBe(true)
        }
      }
    })
  }
})

describe('whole content, byte ranges, download', () => {
  it('the whole file, decoded for .gz and .zst', async () => {
    for (const name of ['many.log', 'long-lines.log', 'empty.log']) {
      const want = await readFile(plain.get(name) as string)
      for (const suffix of ['', '.gz', '.zst']) expect((await content(`path=${pathOf(name + suffix)}`)).equals(want), name + suffix).toBe(true)
    }
  })

  it('offset/length select bytes of the decoded content', async () => {
    const want = await readFile(plain.get('many.log') as string)
    for (const [offset, length] of [
      [0, 10],
      [12345, 70_000],
      [want.length - 5, 100],
      [want.length + 10, 5],
      [100, 0],
    ] as const) {
      for (const suffix of ['', '.gz', '.zst']) {
        const got = await content(`path=${pathOf('many.log' + suffix)}&offset=${offset}&length=${length}`)
        expect(got.equals(want.subarray(offset, offset + length)), `${suffix} ${offset}+${length}`).toBe(true)
      }
    }
    const rest = await content(`path=${pathOf('many.log')}&offset=1000`)
    expect(rest.equals(want.subarray(1000))).toBe(true)
  })

  it('download=1 names the decoded file in Content-Disposition; nosniff always', async () => {
    const r = await h.get(`/logs/content?path=${pathOf('crlf.log.gz')}&download=1`)
    expect(r.status).toBe(200)
    expect(r.headers['content-disposition']).toBe(`attachment; filename="crlf.log"; filename*=UTF-8''crlf.log`)
    expect(r.headers['x-content-type-options']).toBe('nosniff')
    expect(r.body.toString()).toBe(cases['crlf.log'])
    const plainAnswer = await h.get(`/logs/content?path=${pathOf('crlf.log')}`)
    expect(plainAnswer.headers['content-disposition']).toBeUndefined()
  })
})

describe('limits and bad requests', () => {
  it('tail and head above the limit are a 400 naming the parameter', async () => {
    for (const p of ['tail', 'head']) {
      const r = await h.get(`/logs/content?path=${pathOf('many.log')}&${p}=50001`)
      expect(r.status).toBe(400)
      expect(r.json()).toEqual({ error: { code: 'ERR_INVALID_PARAM', message: `${p}: must be <= 50000`, param: p } })
    }
  })

  it('negative, fractional or non-numeric counts, several modes at once, unknown parameters', async () => {
    const bad: [string, string][] = [
      ['tail=-1', 'tail'],
      ['tail=1.5', 'tail'],
      ['tail=abc', 'tail'],
      ['tail=1&tail=2', 'tail'],
      ['head=x', 'head'],
      ['offset=-5', 'offset'],
      ['length=nope', 'length'],
      ['tail=1&head=1', 'head'],
      ['tail=1&offset=3', 'offset'],
      ['download=maybe', 'download'],
      ['lines=3', 'lines'],
    ]
    for (const [q, param] of bad) {
      const r = await h.get(`/logs/content?path=${pathOf('many.log')}&${q}`)
      expect(r.status, q).toBe(400)
      const e = (r.json() as { error: { code: string; message: string; param: string } }).error
      expect(e.param, q).toBe(param)
      expect(e.message.startsWith(`${param}: `), q).toBe(true)
    }
  })

  it('a corrupt or truncated compressed file is a 422 (tail) and never a 200 with partial data', async () => {
    const full = await readFile(join(h.sourceDir, 'many.log.gz'))
    await writeFile(join(h.sourceDir, 'cut.log.gz'), full.subarray(0, Math.floor(full.length / 2)))
    const z = await readFile(join(h.sourceDir, 'many.log.zst'))
    await writeFile(join(h.sourceDir, 'cut.log.zst'), z.subarray(0, Math.floor(z.length / 2)))
    await writeFile(join(h.sourceDir, 'garbage.log.gz'), Buffer.from('this is not gzip at all\n'))
    await h.sync()
    for (const name of ['cut.log.gz', 'cut.log.zst', 'garbage.log.gz']) {
      const r = await h.get(`/logs/content?path=${pathOf(name)}&tail=5`)
      expect(r.status, name).toBe(422)
      expect((r.json() as { error: { code: string } }).error.code).toBe('ERR_CORRUPT_FILE')
    }
    // A file that fails at its first bytes is a 422 in the streamed modes too.
    for (const q of ['', '&head=3', '&offset=2&length=5']) {
      const r = await h.get(`/logs/content?path=${pathOf('garbage.log.gz')}${q}`)
      expect(r.status, q).toBe(422)
      expect((r.json() as { error: { code: string } }).error.code).toBe('ERR_CORRUPT_FILE')
    }
    // A streamed mode cannot change its status once sent: the response is cut short (no final
    // chunk), which every HTTP client reports as an error rather than a complete body.
    const streamed = await h.get(`/logs/content?path=${pathOf('cut.log.gz')}`).then(
      (r) => `complete answer ${r.status} of ${r.body.length} bytes`,
      (e: Error) => e,
    )
    expect(streamed).toBeInstanceOf(Error)
    expect((await h.get('/health')).status).toBe(200)
  })
})
