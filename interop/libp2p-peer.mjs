// A js-libp2p 3 peer on loopback only (TCP + Noise + yamux + identify + ping), for interop tests.
// It serves /ipns-link/test/echo/1.0.0: every byte is sent back, and the write side is closed
// once the remote closed its write side.
//
//   node libp2p-peer.mjs listen [--key <hex PrivateKey protobuf>] [--timeout S] [--reserve RELAYADDR]
//     (--reserve: also reserves on that relay and prints {"event":"reserved","ok":..,"addrs":[..]})
//     prints {"event":"listening","peerId":..,"addrs":[..],"protocols":[..]} then, for every
//     remote peer identified, {"event":"identify",...}; for every echo stream served,
//     {"event":"echo-served","peerId":..,"bytes":N}. Runs until stdin closes (or the watchdog).
//
//   node libp2p-peer.mjs dial <multiaddr with /p2p/> [--echo-bytes N] [--streams K]
//        [--ping-count N] [--seed S] [--key hex] [--timeout S] [--step-timeout-ms MS] [--circuit]
//     dials, prints the remote's {"event":"identify",...}, N x {"event":"ping","rttMs":..},
//     K x {"event":"echo","stream":i,"bytes":N,"sha256":..,"match":bool}, then
//     {"event":"done","ok":bool} (exit 0 when ok, 1 otherwise; 3 = watchdog).
import './lib/polyfill.mjs'
import { createHash } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { emit, hexToBytes, intOption, log, onStdinEnd, parseArgs, startWatchdog } from './lib/common.mjs'

/** The test echo protocol served by this peer (and by the Java host in its tests). */
export const ECHO_PROTOCOL = '/ipns-link/test/echo/1.0.0'
/** Size of the chunks the dialer writes. */
const ECHO_CHUNK_BYTES = 16 * 1024

const { positional, options } = parseArgs()
const mode = positional[0]
startWatchdog(intOption(options, 'timeout', 120))
const stepTimeoutMs = intOption(options, 'step-timeout-ms', 30_000)

if (mode !== 'listen' && mode !== 'dial') {
  log('usage: node libp2p-peer.mjs listen|dial <multiaddr> [options]')
  process.exit(2)
}

const node = await createLibp2p({
  ...(options.key != null ? { privateKey: privateKeyFromProtobuf(hexToBytes(options.key)) } : {}),
  // --reserve RELAYADDR: also listen through that relay (a circuit relay v2 reservation)
  addresses: {
    listen: mode === 'listen'
      ? ['/ip4/127.0.0.1/tcp/0', ...(options.reserve != null ? [`${options.reserve}/p2p-circuit`] : [])]
      : []
  },
  // --circuit: also dial /p2p-circuit addresses (relayed connections are "limited" in js-libp2p:
  // the echo and ping streams then opt in with runOnLimitedConnection)
  transports: options.circuit != null || options.reserve != null ? [tcp(), circuitRelayTransport()] : [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  peerDiscovery: [],
  // js-libp2p's connection monitor pings every 10 s and closes a connection whose ping is late: on a
  // loaded machine, with 50 MiB of echo queued ahead of it, that closed the connection mid-echo
  // (the liveness of a test connection is not what these tests check; ping is, explicitly)
  connectionMonitor: { enabled: false },
  services: {
    identify: identify(),
    ping: ping()
  }
})

function identifyEvent (result) {
  return {
    event: 'identify',
    peerId: result.peerId.toString(),
    agentVersion: result.agentVersion,
    protocolVersion: result.protocolVersion,
    protocols: result.protocols,
    listenAddrs: result.listenAddrs.map(a => a.toString()),
    observedAddr: result.observedAddr?.toString()
  }
}

/** Writes one chunk, waiting for the stream to drain when its send buffer is full. */
async function send (stream, chunk, signal) {
  if (!stream.send(chunk)) {
    await stream.onDrain({ signal })
  }
}

await node.handle(ECHO_PROTOCOL, async (stream, connection) => {
  const signal = AbortSignal.timeout(stepTimeoutMs * 4)
  let bytes = 0
  try {
    for await (const buf of stream) {
      const chunk = buf.subarray()
      bytes += chunk.byteLength
      await send(stream, chunk, signal)
    }
    await stream.close({ signal })
    emit({ event: 'echo-served', peerId: connection.remotePeer.toString(), bytes })
  } catch (err) {
    log(`echo stream failed after ${bytes} bytes: ${err?.message ?? err}`)
    emit({ event: 'echo-served', peerId: connection.remotePeer.toString(), bytes, error: String(err?.message ?? err) })
    stream.abort(err)
  }
}, { runOnLimitedConnection: true })

if (mode === 'listen') {
  node.addEventListener('peer:identify', (evt) => emit(identifyEvent(evt.detail)))
  await node.start()
  emit({
    event: 'listening',
    peerId: node.peerId.toString(),
    addrs: node.getMultiaddrs().map(a => a.toString()),
    protocols: node.getProtocols()
  })
  if (options.reserve != null) {
    const deadline = Date.now() + stepTimeoutMs
    let circuits = []
    while ((circuits = node.getMultiaddrs().filter(a => a.toString().includes('/p2p-circuit'))).length === 0 &&
        Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    emit({ event: 'reserved', ok: circuits.length > 0, addrs: circuits.map(a => a.toString()) })
  }
  onStdinEnd(async () => {
    log('listen: stdin closed, stopping')
    await node.stop().catch(() => {})
    process.exit(0)
  })
} else {
  const target = positional[1]
  if (target == null || !target.includes('/p2p/')) {
    log('dial needs a multiaddr that ends in /p2p/<peer id>')
    process.exit(2)
  }
  const ok = await dial(multiaddr(target))
  emit({ event: 'done', ok })
  await node.stop().catch(() => {})
  process.exit(ok ? 0 : 1)
}

/** A seeded xorshift32 stream of bytes, so both ends of a test can predict the payload. */
function pseudoRandomBytes (n, seed) {
  const out = new Uint8Array(n)
  let x = (seed | 0) || 0x9e3779b9
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

async function echoOnce (ma, index, n, seed) {
  const signal = AbortSignal.timeout(stepTimeoutMs)
  const payload = pseudoRandomBytes(n, seed + index)
  const stream = await node.dialProtocol(ma, ECHO_PROTOCOL, { signal, runOnLimitedConnection: true })
  const hash = createHash('sha256')
  let received = 0
  const reading = (async () => {
    for await (const buf of stream) {
      const chunk = buf.subarray()
      received += chunk.byteLength
      hash.update(chunk)
    }
  })()
  try {
    for (let off = 0; off < n; off += ECHO_CHUNK_BYTES) {
      await send(stream, payload.subarray(off, Math.min(n, off + ECHO_CHUNK_BYTES)), signal)
    }
    await stream.close({ signal })
    await Promise.race([
      reading,
      new Promise((resolve, reject) => {
        if (signal.aborted) reject(signal.reason)
        signal.addEventListener('abort', () => reject(signal.reason), { once: true })
      })
    ])
  } catch (err) {
    stream.abort(err)
    throw err
  }
  const expected = createHash('sha256').update(payload).digest('hex')
  const actual = hash.digest('hex')
  return { event: 'echo', stream: index, bytes: received, sha256: actual, match: received === n && actual === expected }
}

async function dial (ma) {
  const echoBytes = intOption(options, 'echo-bytes', 65536)
  const streams = intOption(options, 'streams', 1)
  const pingCount = intOption(options, 'ping-count', 1)
  const seed = intOption(options, 'seed', 1)
  const remote = ma.getComponents().findLast(c => c.name === 'p2p')?.value
  try {
    const identified = new Promise((resolve, reject) => {
      const signal = AbortSignal.timeout(stepTimeoutMs)
      signal.addEventListener('abort', () => reject(new Error(`no identify from ${remote} within ${stepTimeoutMs} ms`)), { once: true })
      node.addEventListener('peer:identify', (evt) => {
        if (evt.detail.peerId.toString() === remote) resolve(evt.detail)
      })
    })
    identified.catch(() => {})
    const conn = await node.dial(ma, { signal: AbortSignal.timeout(stepTimeoutMs) })
    emit({ event: 'connected', peerId: conn.remotePeer.toString(), remoteAddr: conn.remoteAddr.toString(), encryption: conn.encryption, multiplexer: conn.multiplexer })
    emit(identifyEvent(await identified))

    for (let i = 0; i < pingCount; i++) {
      const rttMs = await node.services.ping.ping(ma, { signal: AbortSignal.timeout(stepTimeoutMs), runOnLimitedConnection: true })
      emit({ event: 'ping', rttMs })
    }

    const results = await Promise.all(
      Array.from({ length: streams }, (_, i) => echoOnce(ma, i, echoBytes, seed))
    )
    results.forEach(r => emit(r))
    return results.every(r => r.match)
  } catch (err) {
    log(`dial failed: ${err?.stack ?? err}`)
    emit({ event: 'error', error: `${err?.name ?? 'Error'}: ${err?.message ?? err}` })
    return false
  }
}
