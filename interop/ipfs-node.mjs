// A network of js-libp2p 3 IPFS-like nodes on loopback: each runs kad-dht 16 (server mode, IPNS
// validator and selector), gossipsub 17 + fetch 4 following IPNS names over pubsub (topic /record/ +
// base64url(routing key), ipns validator, fetch '/ipns/'), identify; plus one Helia 7 node whose only
// router is that DHT (@helia/ipns). For the interop test of publishing and resolving through all routes.
//
//   node ipfs-node.mjs network [--nodes N] [--timeout S]
//     Node i dials node 0 and node i-1; the Helia node dials node 0. Prints
//     {"event":"listening","nodes":[{"peerId":..,"addrs":[..]}..],"helia":{..}} then one JSON answer
//     per JSON request line (stdin), until stdin closes. The kad-peer.mjs ops (get, put, publish,
//     resolve, connect, closest) and:
//       {"op":"follow","key":"<hex>"}          every node subscribes to the name's topic
//         -> {"ok":true,"topic":".."}
//       {"op":"held","node":i,"key":"<hex>"}    the record node i holds from pubsub or fetch
//         -> {"ok":true,"found":bool,"sequence":"N","value":".."}
//       {"op":"fetch","node":i,"peer":"<peer id>","key":"<hex>"}   libp2p fetch from a connected peer
//         -> {"ok":true,"found":bool,"sequence":"N"}
//       {"op":"pubsub-publish","node":i,"value":"/ipfs/..","sequence":N}  a new key; every node
//         follows it; node i holds the record, puts it to the DHT and publishes it on pubsub
//         -> {"ok":true,"name":"k51..","key":"<hex>","record":"<hex>","recipients":N}
//     anything broken -> {"ok":false,"error":".."}
import './lib/polyfill.mjs'
import { createInterface } from 'node:readline'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { fetch } from '@libp2p/fetch'
import { gossipsub, TopicValidatorResult } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { ipns } from '@helia/ipns'
import { multiaddr } from '@multiformats/multiaddr'
import { createHelia } from 'helia'
import { createIPNSRecord, marshalIPNSRecord, unmarshalIPNSRecord, multihashToIPNSRoutingKey } from 'ipns'
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
  log('usage: node ipfs-node.mjs network [--nodes N] [--timeout S]')
  process.exit(2)
}
const count = intOption(options, 'nodes', 10)

function libp2pConfig (withPubsub) {
  const extra = withPubsub ? { pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, emitSelf: false }), fetch: fetch() } : {}
  return {
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: [],
    services: {
      identify: identify(),
      ping: ping(),
      ...extra,
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
  const node = await createLibp2p(libp2pConfig(true))
  await node.start()
  node.held = new Map() // key hex -> { bytes, sequence, validity, value }
  node.topics = new Map() // topic -> key hex
  node.services.fetch.registerLookupFunction('/ipns/', async key => node.held.get(bytesToHex(key))?.bytes)
  nodes.push(node)
}
// a loaded machine may reset a connection now and then: a few tries before giving up
async function dialRetry (from, addr) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await from.dial(addr, { signal: AbortSignal.timeout(10_000) })
    } catch (err) {
      if (attempt >= 5) throw err
      log(`dial ${addr}: ${err.message}; trying again`)
      await new Promise(resolve => setTimeout(resolve, 200 * attempt))
    }
  }
}
for (let i = 1; i < count; i++) {
  await dialRetry(nodes[i], nodes[0].getMultiaddrs()[0])
  if (i > 1) {
    await dialRetry(nodes[i], nodes[i - 1].getMultiaddrs()[0])
  }
}
const helia = await createHelia({
  libp2p: libp2pConfig(false),
  http: { delegatedRouters: [], recursiveGateways: [] }
})
await helia.start()
await dialRetry(helia.libp2p, nodes[0].getMultiaddrs()[0])
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

function topicOf (keyBytes) {
  return '/record/' + Buffer.from(keyBytes).toString('base64url')
}

function better (a, b) {
  if (b == null) return true
  if (a.sequence !== b.sequence) return a.sequence > b.sequence
  return a.validity > b.validity
}

async function checkRecord (keyBytes, bytes) {
  await ipnsValidator(keyBytes, bytes)
  const r = unmarshalIPNSRecord(bytes)
  return { bytes, sequence: BigInt(r.sequence), validity: r.validity, value: r.value }
}

function follow (n, hex) {
  const keyBytes = hexToBytes(hex)
  const topic = topicOf(keyBytes)
  if (n.topics.has(topic)) return topic
  n.topics.set(topic, hex)
  n.services.pubsub.topicValidators.set(topic, async (_peer, msg) => {
    let rec
    try {
      rec = await checkRecord(keyBytes, msg.data)
    } catch (err) {
      return TopicValidatorResult.Reject
    }
    if (!better(rec, n.held.get(hex))) return TopicValidatorResult.Ignore
    n.held.set(hex, rec)
    return TopicValidatorResult.Accept
  })
  n.services.pubsub.subscribe(topic)
  return topic
}

async function handle (req) {
  switch (req.op) {
    case 'follow': {
      const hex = field(req, 'key', 'string')
      let topic
      for (const n of nodes) topic = follow(n, hex)
      return { ok: true, topic }
    }
    case 'held': {
      const h = node(req).held.get(field(req, 'key', 'string'))
      return h == null ? { ok: true, found: false } : { ok: true, found: true, sequence: String(h.sequence), value: h.value }
    }
    case 'fetch': {
      const hex = field(req, 'key', 'string')
      const data = await node(req).services.fetch.fetch(peerIdFromString(field(req, 'peer', 'string')), hexToBytes(hex),
        { signal: AbortSignal.timeout(10_000) })
      if (data == null) return { ok: true, found: false }
      const rec = await checkRecord(hexToBytes(hex), data)
      return { ok: true, found: true, sequence: String(rec.sequence) }
    }
    case 'pubsub-publish': {
      const n = node(req)
      const key = await generateKeyPair('Ed25519')
      const record = await createIPNSRecord(key, field(req, 'value', 'string'), BigInt(field(req, 'sequence', 'number')),
        24 * 60 * 60 * 1000, { v1Compatible: true })
      const bytes = marshalIPNSRecord(record)
      const peerId = peerIdFromPrivateKey(key)
      const routingKey = multihashToIPNSRoutingKey(peerId.toMultihash())
      const hex = bytesToHex(routingKey)
      for (const m of nodes) follow(m, hex)
      n.held.set(hex, await checkRecord(routingKey, bytes))
      await drainPut(n, routingKey, bytes)
      const r = await n.services.pubsub.publish(topicOf(routingKey), bytes)
      return {
        ok: true,
        name: peerId.toCID().toString(base36),
        key: hex,
        record: bytesToHex(bytes),
        recipients: r.recipients.length
      }
    }
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

