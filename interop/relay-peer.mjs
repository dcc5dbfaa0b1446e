// A js-libp2p 3 circuit relay v2 server on loopback (TCP + Noise + yamux + identify + ping +
// @libp2p/circuit-relay-v2), for interop tests of our relay client.
//
//   node relay-peer.mjs relay [--limited] [--timeout S]
//     prints {"event":"listening","peerId":..,"addrs":[..],"protocols":[..]}; runs until stdin closes.
//     Without --limited the relay applies no circuit limit (as HTTP needs); with it, the js
//     defaults (2 minutes, 128 KiB).
import './lib/polyfill.mjs'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { emit, intOption, log, onStdinEnd, parseArgs, startWatchdog } from './lib/common.mjs'

const { positional, options } = parseArgs()
startWatchdog(intOption(options, 'timeout', 120))
if (positional[0] !== 'relay') {
  log('usage: node relay-peer.mjs relay [--limited] [--timeout S]')
  process.exit(2)
}

const node = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  peerDiscovery: [],
  services: {
    identify: identify(),
    ping: ping(),
    relay: circuitRelayServer({ reservations: { applyDefaultLimit: options.limited != null } })
  }
})
await node.start()
emit({
  event: 'listening',
  peerId: node.peerId.toString(),
  addrs: node.getMultiaddrs().map(a => a.toString()),
  protocols: node.getProtocols()
})
onStdinEnd(async () => {
  log('relay: stdin closed, stopping')
  await node.stop().catch(() => {})
  process.exit(0)
})
