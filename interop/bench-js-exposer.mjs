// Benchmark baseline, exposer half of the js-libp2p chain: a js-libp2p 3 peer on loopback whose
// @libp2p/http service hands every /http/1.1 stream to a node:http server that proxies to the
// origin (keep-alive pool).
//
//   node bench-js-exposer.mjs --origin http://127.0.0.1:PORT [--timeout S]
//     prints {"event":"listening","peerId":..,"addrs":[..]}; runs until SIGTERM/SIGINT or the
//     watchdog (default 3600 s).
import './lib/polyfill.mjs'
import http from 'node:http'
import { streamToSocket } from '@libp2p/http-utils'
import { LISTEN_BACKLOG, createBenchNode, forward } from './lib/bench-proxy.mjs'
import { emit, intOption, log, parseArgs, startWatchdog } from './lib/common.mjs'

const { options } = parseArgs()
startWatchdog(intOption(options, 'timeout', 3600))
if (typeof options.origin !== 'string') {
  log('usage: node bench-js-exposer.mjs --origin http://127.0.0.1:PORT [--timeout S]')
  process.exit(2)
}
const origin = new URL(options.origin)
const originAgent = new http.Agent({ keepAlive: true, maxSockets: LISTEN_BACKLOG, maxFreeSockets: 256 })
const target = { agent: originAgent, host: origin.hostname, port: Number(origin.port || 80) }

// Never listens on a port: libp2p streams are injected as sockets.
const server = http.createServer((req, res) => {
  forward(req, res, target, req.url, { host: origin.host })
})
server.keepAliveTimeout = 60_000
server.headersTimeout = 30_000
server.requestTimeout = 0

/** The @libp2p/http WebServer endpoint: replays the already parsed head into a socket. */
const endpoint = {
  async inject (info, stream, connection) {
    const socket = streamToSocket(stream, connection)
    socket.unshift(Buffer.from(info.raw.subarray()))
    server.emit('connection', socket)
  }
}

const node = await createBenchNode({ listen: true, server: endpoint })
emit({ event: 'listening', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(String) })

async function stop () {
  await node.stop().catch(() => {})
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
// bench/run.sh collects garbage before it reads the resident set (node --expose-gc).
process.on('SIGUSR2', () => globalThis.gc?.())
