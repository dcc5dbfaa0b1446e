// The benchmark origin's slow endpoints (node:http, no dependencies); nginx serves the static
// files and proxies /poll and /hold here.
//
//   node bench/origin-slow.mjs [--port P] [--timeout S]
//     prints {"event":"listening","port":P}
//   GET /poll?ms=N  answers 200 "done\n" after N ms (default 5000, at most MAX_DELAY_MS).
import http from 'node:http'

const MAX_DELAY_MS = 60_000
const DEFAULT_DELAY_MS = 5_000
const args = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = args.indexOf('--' + name)
  return i >= 0 && i + 1 < args.length ? Number(args[i + 1]) : dflt
}
setTimeout(() => process.exit(3), opt('timeout', 3600) * 1000).unref()

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://origin')
  if (url.pathname !== '/poll') {
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end('not found\n')
    return
  }
  const ms = Math.min(MAX_DELAY_MS, Math.max(0, Number(url.searchParams.get('ms') ?? DEFAULT_DELAY_MS) || 0))
  const t = setTimeout(() => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 5 })
    res.end('done\n')
  }, ms)
  res.on('close', () => clearTimeout(t))
})
server.keepAliveTimeout = 60_000
server.requestTimeout = 0
server.listen({ host: '127.0.0.1', port: opt('port', 0), backlog: 4096 }, () => {
  process.stdout.write(JSON.stringify({ event: 'listening', port: server.address().port }) + '\n')
})
process.on('SIGTERM', () => process.exit(0))
