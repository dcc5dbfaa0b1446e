// A js-libp2p 3 peer in a libp2p private network (@libp2p/pnet: the PSK v1 protector before
// multistream-select), on loopback only: TCP + pnet + Noise + yamux + identify + ping, for the
// private network interop tests.
//
//   node pnet-peer.mjs listen [--psk FILE] [--timeout S]
//     prints {"event":"listening","peerId":..,"addrs":[..]}, then {"event":"identify",...} for every
//     remote peer identified and {"event":"connection-error","error":..} when an inbound
//     connection fails its upgrade (as far as js-libp2p reports it). Runs until stdin closes.
//
//   node pnet-peer.mjs dial <multiaddr with /p2p/> [--psk FILE] [--ping-count N] [--timeout S]
//        [--step-timeout-ms MS]
//     dials, prints {"event":"connected",..}, the remote's {"event":"identify",...},
//     N x {"event":"ping","rttMs":..}, then {"event":"done","ok":bool}; a failed dial prints
//     {"event":"error","error":..} first (exit 0 when ok, 1 otherwise; 3 = watchdog).
//
//   node pnet-peer.mjs gen FILE
//     writes a new key file with @libp2p/pnet's generateKey, prints {"event":"generated","file":..}.
//
// --psk: the swarm key file (/key/swarm/psk/1.0.0/ /base16/ <hex>); without it the peer is not in
// a private network.
import './lib/polyfill.mjs'
import { readFileSync, writeFileSync } from 'node:fs'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { generateKey, preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { emit, intOption, log, onStdinEnd, parseArgs, startWatchdog } from './lib/common.mjs'

const { positional, options } = parseArgs()
const mode = positional[0]
startWatchdog(intOption(options, 'timeout', 120))
const stepTimeoutMs = intOption(options, 'step-timeout-ms', 20_000)

if (mode === 'gen') {
  const key = new Uint8Array(95)
  generateKey(key)
  writeFileSync(positional[1], key, { mode: 0o600 })
  emit({ event: 'generated', file: positional[1] })
  process.exit(0)
}

if (mode !== 'listen' && mode !== 'dial') {
  log('usage: node pnet-peer.mjs listen|dial <multiaddr> [--psk FILE] [options] | gen FILE')
  process.exit(2)
}

const protector = options.psk != null
  ? { connectionProtector: preSharedKey({ psk: readFileSync(options.psk), timeout: stepTimeoutMs }) }
  : {}

const node = await createLibp2p({
  addresses: { listen: mode === 'listen' ? ['/ip4/127.0.0.1/tcp/0'] : [] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  ...protector,
  peerDiscovery: [],
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
    protocols: result.protocols
  }
}

if (mode === 'listen') {
  node.addEventListener('peer:identify', (evt) => emit(identifyEvent(evt.detail)))
  await node.start()
  emit({
    event: 'listening',
    peerId: node.peerId.toString(),
    addrs: node.getMultiaddrs().map(a => a.toString()),
    private: options.psk != null
  })
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

async function dial (ma) {
  const pingCount = intOption(options, 'ping-count', 1)
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
    emit({ event: 'connected', peerId: conn.remotePeer.toString(), encryption: conn.encryption, multiplexer: conn.multiplexer })
    emit(identifyEvent(await identified))
    for (let i = 0; i < pingCount; i++) {
      const rttMs = await node.services.ping.ping(ma, { signal: AbortSignal.timeout(stepTimeoutMs) })
      emit({ event: 'ping', rttMs })
    }
    return true
  } catch (err) {
    log(`dial failed: ${err?.message ?? err}`)
    emit({ event: 'error', error: `${err?.name ?? 'Error'}: ${err?.message ?? err}` })
    return false
  }
}
