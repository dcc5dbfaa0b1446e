// A js-libp2p 3 peer with DCUtR (@libp2p/dcutr) and the circuit relay v2 transport
// (@libp2p/circuit-relay-v2), on loopback, for hole-punching interop tests.
//
//   node dcutr-peer.mjs dial <circuit multiaddr .../p2p/RELAY/p2p-circuit/p2p/B> [--timeout S]
//     js is A: dials B through the relay; B starts DCUtR; js answers and dials B's addresses.
//   node dcutr-peer.mjs listen --reserve <relay multiaddr with /p2p/> [--timeout S]
//     js is B: reserves on the relay and announces the circuit address; when a peer arrives
//     through the relay, js starts DCUtR (as the inbound side).
//
// Both serve /ipns-link/test/echo/1.0.0 and print one JSON line per event:
//   {"event":"listening","peerId":..,"addrs":[..]}
//   {"event":"connection","peerId":..,"remoteAddr":..,"direction":..,"limited":bool,"direct":bool}
//   {"event":"closed","peerId":..,"remoteAddr":..}
//   {"event":"relayed","peerId":..}            (dial mode, once the relayed connection is up)
//   {"event":"echo-served","peerId":..,"bytes":N,"direct":bool}
// and run until stdin closes (or the watchdog).
//
// On loopback js's DCUtR dials only addresses that are public or DNS names (utils.js
// isPublicAndDialable): the Java side announces /dns4/localhost/tcp/PORT for it.
import './lib/polyfill.mjs'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { emit, intOption, log, onStdinEnd, parseArgs, startWatchdog } from './lib/common.mjs'

const ECHO_PROTOCOL = '/ipns-link/test/echo/1.0.0'
const { positional, options } = parseArgs()
const mode = positional[0]
startWatchdog(intOption(options, 'timeout', 120))
if ((mode !== 'dial' || positional[1] == null) && (mode !== 'listen' || options.reserve == null)) {
  log('usage: node dcutr-peer.mjs dial <circuit multiaddr> | listen --reserve <relay multiaddr>')
  process.exit(2)
}

const node = await createLibp2p({
  addresses: {
    listen: ['/ip4/127.0.0.1/tcp/0', ...(mode === 'listen' ? [`${options.reserve}/p2p-circuit`] : [])]
  },
  transports: [tcp(), circuitRelayTransport()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  peerDiscovery: [],
  services: {
    identify: identify(),
    dcutr: dcutr({ timeout: 5000 })
  }
})

const isDirect = (ma) => !ma.toString().includes('/p2p-circuit')

node.addEventListener('connection:open', (evt) => {
  const c = evt.detail
  emit({
    event: 'connection',
    peerId: c.remotePeer.toString(),
    remoteAddr: c.remoteAddr.toString(),
    direction: c.direction,
    limited: c.limits != null,
    direct: isDirect(c.remoteAddr)
  })
})
node.addEventListener('connection:close', (evt) => {
  const c = evt.detail
  emit({ event: 'closed', peerId: c.remotePeer.toString(), remoteAddr: c.remoteAddr.toString() })
})

async function send (stream, chunk, signal) {
  if (!stream.send(chunk)) {
    await stream.onDrain({ signal })
  }
}

await node.handle(ECHO_PROTOCOL, async (stream, connection) => {
  const signal = AbortSignal.timeout(60_000)
  let bytes = 0
  try {
    for await (const buf of stream) {
      const chunk = buf.subarray()
      bytes += chunk.byteLength
      await send(stream, chunk, signal)
    }
    await stream.close({ signal })
    emit({ event: 'echo-served', peerId: connection.remotePeer.toString(), bytes, direct: isDirect(connection.remoteAddr) })
  } catch (err) {
    log(`echo stream failed after ${bytes} bytes: ${err?.message ?? err}`)
    stream.abort(err)
  }
}, { runOnLimitedConnection: true })

await node.start()

if (mode === 'listen') {
  // the reservation is made in the background: wait for the circuit address
  const deadline = Date.now() + 30_000
  while (!node.getMultiaddrs().some(a => a.toString().includes('/p2p-circuit')) && Date.now() < deadline) {
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}
emit({ event: 'listening', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(a => a.toString()) })

if (mode === 'dial') {
  const ma = multiaddr(positional[1])
  const conn = await node.dial(ma, { signal: AbortSignal.timeout(30_000) })
  emit({ event: 'relayed', peerId: conn.remotePeer.toString(), remoteAddr: conn.remoteAddr.toString() })
}

onStdinEnd(async () => {
  log('dcutr-peer: stdin closed, stopping')
  await node.stop().catch(() => {})
  process.exit(0)
})
