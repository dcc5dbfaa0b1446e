// Idle connections: opens N keep-alive connections to a URL, sends one GET on each and reads its
// response head, then holds them all open without traffic until SIGTERM or --hold-s elapses.
//
//   node bench/idle-conns.mjs --url http://127.0.0.1:P/1k [--n 1000] [--hold-s 60]
//     prints {"event":"holding","open":N,"failed":N} once every connection answered (or failed)
import net from 'node:net'

const args = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = args.indexOf('--' + name)
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt
}
const url = new URL(opt('url', 'http://127.0.0.1:80/'))
const n = Number(opt('n', 1000))
const holdS = Number(opt('hold-s', 60))
const FIRST_RESPONSE_TIMEOUT_MS = 20_000
setTimeout(() => process.exit(0), holdS * 1000).unref()
process.on('SIGTERM', () => process.exit(0))

const sockets = []
let failed = 0
function one () {
  return new Promise((resolve) => {
    const s = net.connect({ host: url.hostname, port: Number(url.port) })
    const timer = setTimeout(() => { failed++; s.destroy(); resolve() }, FIRST_RESPONSE_TIMEOUT_MS)
    s.once('connect', () => {
      s.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`)
    })
    s.once('data', () => { clearTimeout(timer); sockets.push(s); resolve() })
    s.on('data', () => {}) // drain the rest of the body
    s.on('error', () => { clearTimeout(timer); failed++; resolve() })
  })
}
// Open in batches so that the listen backlog is never the limit.
const BATCH = 100
for (let i = 0; i < n; i += BATCH) {
  await Promise.all(Array.from({ length: Math.min(BATCH, n - i) }, one))
}
const open = sockets.filter(s => !s.destroyed).length
process.stdout.write(JSON.stringify({ event: 'holding', open, failed }) + '\n')
setInterval(() => {}, 1 << 30)
