// A network of js-libp2p 3 Kademlia DHT nodes (@libp2p/kad-dht 16, server mode, IPNS validator and
// selector from the `ipns` package) on loopback, plus one Helia 7 node whose only router is that
// DHT, for interop tests of our DHT.
//
//   node kad-peer.mjs network [--nodes N] [--timeout S]
//     Node i dials node 0 and node i-1; the Helia node dials node 0. Prints
//     {"event":"listening","nodes":[{"peerId":..,"addrs":[..]}..],"helia":{"peerId":..,"addrs":[..]}}
//     once node 0's routing table holds the others. Then one JSON request per stdin line, one JSON
//     answer per stdout line, until stdin closes:
//       {"op":"get","node":i,"key":"<hex>"}            kad-dht get
//         -> {"ok":true,"values":[{"from":"<peer id>","value":"<hex>"}..]}
//       {"op":"put","node":i,"key":"<hex>","value":"<hex>"}   kad-dht put
//         -> {"ok":true,"responses":N}
//       {"op":"publish","node":i,"value":"/ipfs/..","sequence":N}  a new Ed25519 key, its record put
//         -> {"ok":true,"name":"k51..","record":"<hex>","key":"<routing key hex>","responses":N}
//       {"op":"resolve","name":"k51.."}                 @helia/ipns resolve on the Helia node
//         -> {"ok":true,"value":"/ipfs/..","sequence":"N"}
//       {"op":"connect","node":i,"addr":"/ip4/../p2p/.."}  dial, and wait for the DHT to list it
//         -> {"ok":true,"inRoutingTable":bool}
//       {"op":"closest","node":i,"key":"<hex>"}         kad-dht getClosestPeers
//         -> {"ok":true,"peers":["<peer id>"..]}
//     anything broken -> {"ok":false,"error":".."}
import './lib/polyfill.mjs'
import { createInterface } from 'node:readline'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { ipns } from '@helia/ipns'
import { multiaddr } from '@multiformats/multiaddr'
import { createHelia } from 'helia'
import { createIPNSRecord, marshalIPNSRecord, multihashToIPNSRoutingKey } from 'ipns'
import { ipnsSelector } from 'ipns/selector'
import { ipnsValidator } from 'ipns/validator'
import { createLibp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import { base36 } from 'multiformats/bases/base36'
import { bytesToHex, emit, hexToBytes, intOption, log, onStdinEnd, parseArgs, startWatchdog } from './lib/common.mjs'

const MAX_LINE_CHARS = 64 * 1024
const REQUEST_TIMEOUT_MS = 30_000

const { positional, options } = parseArgs()
startWatchdog(intOption(options, 'timeout', 120))
if (positional[0] !== 'network') {
  log('usage: node kad-peer.mjs network [--nodes N] [--timeout S]')
  process.exit(2)
}
const count = intOption(options, 'nodes', 10)

function libp2pConfig () {
  return {
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: [],
    // every node of the test network is on loopback: js-libp2p's per-host inbound limits (5 new
    // connections a second, 10 in their handshake) would refuse some of them (connect ECONNRESET)
    connectionManager: { allow: ['/ip4/127.0.0.0/ipcidr/8'] },
    services: {
      identify: identify(),
      ping: ping(),
      dht: kadDHT({
        protocol: '/ipfs/kad/1.0.0',
        clientMode: false,
        peerInfoMapper: passthroughMapper,
        allowQueryWithZeroPeers: true,
        validators: { ipns: ipnsValidator },
        selectors: { ipns: ipnsSelector }
      })
    }
  }
}

const nodes = []
for (let i = 0; i < count; i++) {
  const node = await createLibp2p(libp2pConfig())
  await node.start()
  nodes.push(node)
}
for (let i = 1; i < count; i++) {
  await nodes[i].dial(nodes[0].getMultiaddrs()[0], { signal: AbortSignal.timeout(10_000) })
  if (i > 1) {
    await nodes[i].dial(nodes[i - 1].getMultiaddrs()[0], { signal: AbortSignal.timeout(10_000) })
  }
}
const helia = await createHelia({
  libp2p: libp2pConfig(),
  http: { delegatedRouters: [], recursiveGateways: [] }
})
await helia.start()
await helia.libp2p.dial(nodes[0].getMultiaddrs()[0], { signal: AbortSignal.timeout(10_000) })
const name = ipns(helia)

async function waitFor (cond, ms, what) {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}
await waitFor(() => nodes[0].services.dht.routingTable.size >= count - 1, 30_000, 'routing table of node 0')
await waitFor(() => helia.libp2p.services.dht.routingTable.size >= 1, 30_000, 'routing table of the Helia node')

emit({
  event: 'listening',
  nodes: nodes.map(n => ({ peerId: n.peerId.toString(), addrs: n.getMultiaddrs().map(a => a.toString()) })),
  helia: { peerId: helia.libp2p.peerId.toString(), addrs: helia.libp2p.getMultiaddrs().map(a => a.toString()) }
})

function node (req) {
  const i = req.node
  if (!Number.isInteger(i) || i < 0 || i >= nodes.length) throw new Error(`field "node" must be 0..${nodes.length - 1}`)
  return nodes[i]
}

function field (req, name, type) {
  const v = req[name]
  if (typeof v !== type) throw new Error(`field "${name}" must be a ${type}`)
  return v
}

async function drainPut (n, key, value) {
  let responses = 0
  for await (const ev of n.services.dht.put(key, value, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })) {
    if (ev.name === 'PEER_RESPONSE' && ev.messageName === 'PUT_VALUE') responses++
  }
  return responses
}

function inRoutingTable (n, peerId) {
  return n.services.dht.routingTable.find(peerId).then(p => p != null, () => false)
}

async function handle (req) {
  switch (req.op) {
    case 'get': {
      const values = []
      for await (const ev of node(req).services.dht.get(hexToBytes(field(req, 'key', 'string')),
        { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })) {
        if (ev.name === 'VALUE') values.push({ from: ev.from.toString(), value: bytesToHex(ev.value) })
      }
      return { ok: true, values }
    }
    case 'put': {
      const responses = await drainPut(node(req), hexToBytes(field(req, 'key', 'string')),
        hexToBytes(field(req, 'value', 'string')))
      return { ok: true, responses }
    }
    case 'publish': {
      const key = await generateKeyPair('Ed25519')
      const record = await createIPNSRecord(key, field(req, 'value', 'string'), BigInt(field(req, 'sequence', 'number')),
        24 * 60 * 60 * 1000, { v1Compatible: true })
      const bytes = marshalIPNSRecord(record)
      const peerId = peerIdFromPrivateKey(key)
      const routingKey = multihashToIPNSRoutingKey(peerId.toMultihash())
      const responses = await drainPut(node(req), routingKey, bytes)
      return {
        ok: true,
        name: peerId.toCID().toString(base36),
        record: bytesToHex(bytes),
        key: bytesToHex(routingKey),
        responses
      }
    }
    case 'resolve': {
      const cid = CID.parse(field(req, 'name', 'string'), base36)
      let last
      for await (const r of name.resolve(cid, { nocache: true, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })) {
        last = r
      }
      if (last == null) throw new Error('no result')
      return { ok: true, value: last.value, sequence: String(last.record.sequence) }
    }
    case 'connect': {
      const n = node(req)
      const ma = multiaddr(field(req, 'addr', 'string'))
      await n.dial(ma, { signal: AbortSignal.timeout(10_000) })
      const peerId = peerIdFromString(ma.getComponents().findLast(c => c.name === 'p2p').value)
      const deadline = Date.now() + 10_000
      let found = false
      while (!found && Date.now() < deadline) {
        found = await inRoutingTable(n, peerId)
        if (!found) await new Promise(resolve => setTimeout(resolve, 50))
      }
      return { ok: true, inRoutingTable: found }
    }
    case 'closest': {
      const peers = []
      for await (const ev of node(req).services.dht.getClosestPeers(hexToBytes(field(req, 'key', 'string')),
        { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })) {
        if (ev.name === 'FINAL_PEER') peers.push(ev.peer.id.toString())
      }
      return { ok: true, peers }
    }
    default:
      throw new Error(`unknown op ${req.op}`)
  }
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
let queue = Promise.resolve()
rl.on('line', line => {
  if (line.trim() === '') return
  queue = queue.then(async () => {
    try {
      if (line.length > MAX_LINE_CHARS) throw new Error(`request line longer than ${MAX_LINE_CHARS} chars`)
      emit(await handle(JSON.parse(line)))
    } catch (err) {
      emit({ ok: false, error: String(err?.message ?? err), errorName: err?.name ?? 'Error' })
    }
  })
})
onStdinEnd(() => {
  queue.then(async () => {
    log('kad network: stdin closed, stopping')
    await Promise.all([...nodes.map(n => n.stop()), helia.stop()]).catch(() => {})
    process.exit(0)
  })
})

