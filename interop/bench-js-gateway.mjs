// Benchmark baseline, gateway half of the js-libp2p chain: a node:http server on loopback that
// forwards every request over libp2p (the @libp2p/http client's node:http Agent, keep-alive) to
// the exposer (bench-js-exposer.mjs).
//
//   node bench-js-gateway.mjs --exposer <multiaddr with /p2p/> [--port P] [--timeout S]
//     prints {"event":"listening","port":P}; runs until SIGTERM/SIGINT or the watchdog (3600 s).
//
// Paths: /ipns/<name>/<rest> is forwarded as /<rest> (the name is not resolved: there is one
// exposer); any other path is forwarded as is. POST /_bench/hangup closes the libp2p connection
// and the agent's pooled streams, so that the next request pays the dial + Noise + yamux again
// (the "cold first byte" figure).
import './lib/polyfill.mjs'
import http from 'node:http'
import { multiaddr } from '@multiformats/multiaddr'
import { LISTEN_BACKLOG, createBenchNode, forward } from './lib/bench-proxy.mjs'
import { emit, intOption, log, parseArgs, startWatchdog } from './lib/common.mjs'

const { options } = parseArgs()
startWatchdog(intOption(options, 'timeout', 3600))
if (typeof options.exposer !== 'string') {
  log('usage: node bench-js-gateway.mjs --exposer <multiaddr/p2p/..> [--port P] [--timeout S]')
  process.exit(2)
}
const exposer = multiaddr(options.exposer)
if (!exposer.getComponents().some(c => c.name === 'p2p')) {
  log('--exposer needs a /p2p/<peer id> component')
  process.exit(2)
}
const IPNS_PATH = /^\/ipns\/[^/?]+(.*)$/

const node = await createBenchNode({ listen: false })

function newAgent () {
  return node.services.http.agent(exposer, { keepAlive: true, maxSockets: LISTEN_BACKLOG * 2, maxFreeSockets: 256 })
}
let agent = newAgent()

const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/_bench/hangup') {
    const old = agent
    agent = newAgent()
    old.destroy()
    node.hangUp(exposer)
      .catch((err) => log(`hangUp failed: ${err.message}`))
      .finally(() => { res.writeHead(204); res.end() })
    return
  }
  const m = IPNS_PATH.exec(req.url)
  const path = m == null ? req.url : (m[1] === '' ? '/' : (m[1].startsWith('/') ? m[1] : '/' + m[1]))
  forward(req, res, { agent, host: '127.0.0.1', port: 80 }, path, {
    'x-forwarded-for': req.socket.remoteAddress ?? '',
    'x-forwarded-proto': 'http'
  })
})
server.keepAliveTimeout = 60_000
server.requestTimeout = 0
server.listen({ host: '127.0.0.1', port: intOption(options, 'port', 0), backlog: LISTEN_BACKLOG }, () => {
  emit({ event: 'listening', port: server.address().port, peerId: node.peerId.toString() })
})

async function stop () {
  server.close()
  await node.stop().catch(() => {})
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
// bench/run.sh collects garbage before it reads the resident set (node --expose-gc).
process.on('SIGUSR2', () => globalThis.gc?.())
