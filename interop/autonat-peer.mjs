// js-libp2p 3 AutoNAT v1 peers on loopback (TCP + Noise + yamux + identify + @libp2p/autonat), for
// interop tests of our AutoNAT client and server.
//
//   node autonat-peer.mjs server [--timeout S]
//     a js AutoNAT server; prints {"event":"listening","peerId":..,"addrs":[..],"protocols":[..]};
//     runs until stdin closes. (It never dials private addresses back, so on loopback it answers
//     E_DIAL_REFUSED: the right answer there.)
//   node autonat-peer.mjs ask MULTIADDR [--claim MULTIADDR] [--wrong-id] [--timeout S]
//     a js client: dials MULTIADDR (ending in /p2p/ID), sends one DIAL request with its peer id (or
//     another one with --wrong-id) and its listen addresses (or --claim instead), with js-libp2p's
//     own AutoNAT message codec, and prints {"event":"response","status":..,"statusText":..,"addr":..}
//     then {"event":"done"} and exits.
import './lib/polyfill.mjs'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { autoNAT } from '@libp2p/autonat'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { pbStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
// the message codec js-libp2p's AutoNAT uses (not exported by the package: imported by path)
import { Message } from './node_modules/@libp2p/autonat/dist/src/pb/index.js'
import { emit, intOption, log, onStdinEnd, parseArgs, startWatchdog } from './lib/common.mjs'

const { positional, options } = parseArgs()
startWatchdog(intOption(options, 'timeout', 120))
const mode = positional[0]
if (mode !== 'server' && !(mode === 'ask' && positional[1] != null)) {
  log('usage: node autonat-peer.mjs server | ask MULTIADDR [--claim MULTIADDR] [--wrong-id]')
  process.exit(2)
}

const node = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  peerDiscovery: [],
  services: mode === 'server'
    ? { identify: identify(), autonat: autoNAT() }
    : { identify: identify() }
})
await node.start()

if (mode === 'server') {
  emit({
    event: 'listening',
    peerId: node.peerId.toString(),
    addrs: node.getMultiaddrs().map(a => a.toString()),
    protocols: node.getProtocols()
  })
  onStdinEnd(async () => {
    log('autonat server: stdin closed, stopping')
    await node.stop().catch(() => {})
    process.exit(0)
  })
} else {
  try {
    const target = multiaddr(positional[1])
    const stream = await node.dialProtocol(target, '/libp2p/autonat/1.0.0', { signal: AbortSignal.timeout(20_000) })
    const id = options['wrong-id'] != null
      ? peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toMultihash().bytes
      : node.peerId.toMultihash().bytes
    const addrs = typeof options.claim === 'string'
      ? [multiaddr(options.claim).bytes]
      : node.getMultiaddrs().map(a => a.decapsulateCode(421).bytes)
    const messages = pbStream(stream).pb(Message)
    const signal = AbortSignal.timeout(30_000)
    await messages.write({ type: Message.MessageType.DIAL, dial: { peer: { id, addrs } } }, { signal })
    const response = await messages.read({ signal })
    const r = response.dialResponse ?? {}
    emit({
      event: 'response',
      type: response.type,
      status: r.status,
      statusText: r.statusText ?? '',
      addr: r.addr != null ? multiaddr(r.addr).toString() : null,
      self: node.getMultiaddrs().map(a => a.decapsulateCode(421).toString())
    })
    await stream.close({ signal }).catch(() => {})
  } catch (err) {
    emit({ event: 'error', message: String(err?.message ?? err) })
  }
  emit({ event: 'done' })
  await node.stop().catch(() => {})
  process.exit(0)
}
