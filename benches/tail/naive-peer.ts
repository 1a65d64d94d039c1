/**
 * The memory peer: a live tail as often written (frontail's and many a blog post's way): an
 * SSE route that reads what fs.watch reports and writes it to every client, ignoring what
 * res.write() returns. A client that never reads makes it buffer everything appended. Prints
 * `{ "url": ... }` and serves until stdin closes.
 *
 *   tsx benches/tail/naive-peer.ts FILE
 */
import { openSync, readSync, statSync, watch } from 'node:fs'
import { createServer, type ServerResponse } from 'node:http'

const [file] = process.argv.slice(2) as [string]
const clients = new Set<ServerResponse>()
const fd = openSync(file, 'r')
let pos = statSync(file).size
watch(file, () => {
  const size = statSync(file).size
  while (pos < size) {
    const buf = Buffer.allocUnsafe(Math.min(1 << 20, size - pos))
    const n = readSync(fd, buf, 0, buf.length, pos)
    pos += n
    const frame = `data: ${JSON.stringify(buf.subarray(0, n).toString('utf8').split('\n'))}\n\n`
    for (const c of clients) c.write(frame)
  }
})
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' })
  clients.add(res)
  res.on('close', () => clients.delete(res))
})
server.listen(0, '127.0.0.1', () => {
  const a = server.address() as { port: number }
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${a.port}` })}\n`)
})
process.stdin.on('end', () => process.exit(0))
process.stdin.resume()
