// The listener of a legacy v1 IPNS-Link site, as Kubo's `ipfs p2p listen /x/ipns-link/<keyID>
// /ip4/<ip>/tcp/<port>` served it (go-ipfs 0.10/0.11, p2p/remote.go and p2p/stream.go): a js-libp2p 3
// peer (TCP + Noise + yamux + identify) that, for every inbound stream of the protocol, dials the
// target over TCP; when that dial fails the stream is reset; otherwise raw bytes are copied both
// ways and when EITHER copy ends both the TCP connection and the stream are closed (not
// half-close aware, like Kubo). There is no HTTP framing of its own: HTTP/1.1 bytes on the stream.
//
//   node legacy-listener.mjs --protocol /x/ipns-link/<k51 name> --target 127.0.0.1:PORT
//        [--key <hex PrivateKey protobuf>] [--port N] [--timeout S]
//     prints {"event":"listening","peerId":..,"addrs":[..]}; for every stream served
//     {"event":"stream","bytesIn":N,"bytesOut":M,"reset":bool}. Runs until stdin closes (or the watchdog).
import './lib/polyfill.mjs'
import net from 'node:net'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { emit, hexToBytes, intOption, log, onStdinEnd, parseArgs, startWatchdog } from './lib/common.mjs'

const { options } = parseArgs()
startWatchdog(intOption(options, 'timeout', 120))
const protocol = options.protocol
const target = typeof options.target === 'string' ? options.target.split(':') : null
if (typeof protocol !== 'string' || !protocol.startsWith('/x/ipns-link/') || target == null || target.length !== 2) {
  log('usage: node legacy-listener.mjs --protocol /x/ipns-link/<k51 name> --target 127.0.0.1:PORT [--key hex] [--port N]')
  process.exit(2)
}
const [targetHost, targetPort] = [target[0], Number(target[1])]
const port = intOption(options, 'port', 0)

const node = await createLibp2p({
  ...(options.key != null ? { privateKey: privateKeyFromProtobuf(hexToBytes(options.key)) } : {}),
  addresses: { listen: [`/ip4/127.0.0.1/tcp/${port}`] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  peerDiscovery: [],
  services: { identify: identify() }
})

await node.handle(protocol, (stream) => {
  let bytesIn = 0
  let bytesOut = 0
  let ended = false
  const socket = net.connect({ host: targetHost, port: targetPort })
  /** Either copy ended: both ends are closed (a reset when the dial failed). */
  const endBoth = (reset) => {
    if (ended) return
    ended = true
    socket.destroy()
    if (reset) {
      stream.abort(new Error('dial of the target failed'))
    } else {
      stream.close().catch(() => stream.abort(new Error('close failed')))
    }
    emit({ event: 'stream', bytesIn, bytesOut, reset })
  }
  let connected = false
  socket.once('error', (err) => {
    log(`target ${targetHost}:${targetPort}: ${err.message}`)
    endBoth(!connected) // Kubo resets the stream when its dial of the target fails
  })
  socket.once('connect', () => {
    connected = true
    // target -> stream
    socket.on('data', (chunk) => {
      bytesOut += chunk.byteLength
      if (!stream.send(chunk)) {
        socket.pause()
        stream.onDrain().then(() => socket.resume(), () => endBoth(false))
      }
    })
    socket.once('end', () => endBoth(false))
    // stream -> target
    ;(async () => {
      try {
        for await (const buf of stream) {
          const chunk = buf.subarray()
          bytesIn += chunk.byteLength
          if (!socket.write(chunk)) {
            await new Promise((resolve) => socket.once('drain', resolve))
          }
        }
      } catch (err) {
        log(`stream: ${err?.message ?? err}`)
      }
      endBoth(false)
    })()
  })
})

await node.start()
emit({ event: 'listening', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(String) })
onStdinEnd(async () => {
  await node.stop().catch(() => {})
  process.exit(0)
})
