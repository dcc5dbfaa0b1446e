// A js-libp2p 3 node with @libp2p/gossipsub 17 (StrictSign, the default), @libp2p/fetch 4 and
// identify, on loopback, following IPNS names over pubsub as the IPNS pubsub router spec says
// (topic /record/ + base64url(routing key), record as data, ipns validator, fetch '/ipns/').
//
//   node pubsub-peer.mjs [--timeout S]
//     prints {"event":"listening","peerId":..,"addrs":[..]} then reads JSON requests, one a line,
//     and answers each with {"event":"reply","ok":true,...} or {"event":"reply","ok":false,"error":..}.
//     Records that arrive over pubsub are printed as
//     {"event":"record","key":HEX,"sequence":N,"value":..,"from":PEERID,"via":"pubsub"}.
//     Runs until stdin closes.
//
// Requests:
//   {"cmd":"dial","addr":MULTIADDR}
//   {"cmd":"follow","key":HEX}                      subscribe to the name's topic (validator + fetch lookup)
//   {"cmd":"create","sequence":N,"value":PATH}      a record of this node's own IPNS key, kept (not published)
//   {"cmd":"publish","key":HEX}                     publish the record held for the key
//   {"cmd":"store","key":HEX,"record":HEX}          keep a record (validated) without publishing it
//   {"cmd":"fetch","peer":PEERID,"key":HEX}         libp2p fetch from a connected peer
//   {"cmd":"peers","key":HEX}                       subscribers and mesh peers of the name's topic
//   {"cmd":"held","key":HEX}                        the record held for the key
import './lib/polyfill.mjs'
import { createInterface } from 'node:readline'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { fetch } from '@libp2p/fetch'
import { gossipsub, TopicValidatorResult } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createIPNSRecord, marshalIPNSRecord, unmarshalIPNSRecord, multihashToIPNSRoutingKey } from 'ipns'
import { ipnsValidator } from 'ipns/validator'
import { createLibp2p } from 'libp2p'
import { bytesToHex, emit, hexToBytes, intOption, log, onStdinEnd, parseArgs, startWatchdog } from './lib/common.mjs'

const MAX_LINE_CHARS = 64 * 1024
const { options } = parseArgs()
startWatchdog(intOption(options, 'timeout', 120))

const node = await createLibp2p({
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
    pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, emitSelf: false }),
    fetch: fetch()
  }
})
await node.start()
const pubsub = node.services.pubsub

/** key hex -> { record bytes, sequence, validity } */
const held = new Map()
const ownKey = await generateKeyPair('Ed25519')

function topicOf (keyBytes) {
  return '/record/' + Buffer.from(keyBytes).toString('base64url')
}

function better (a, b) {
  // the spec's order: higher sequence, then later validity (then bytewise; not needed here)
  if (b == null) return true
  if (a.sequence !== b.sequence) return a.sequence > b.sequence
  return a.validity > b.validity
}

async function checkRecord (keyBytes, bytes) {
  await ipnsValidator(keyBytes, bytes)
  const r = unmarshalIPNSRecord(bytes)
  return { bytes, sequence: BigInt(r.sequence), validity: r.validity, value: r.value }
}

const topics = new Map() // topic -> key hex
node.services.fetch.registerLookupFunction('/ipns/', async key => held.get(bytesToHex(key))?.bytes)

pubsub.addEventListener('message', evt => {
  const msg = evt.detail
  const hex = topics.get(msg.topic)
  if (hex == null) return
  const r = unmarshalIPNSRecord(msg.data)
  emit({ event: 'record', key: hex, sequence: Number(r.sequence), value: r.value, from: msg.from?.toString(), via: 'pubsub' })
})

function follow (hex) {
  const keyBytes = hexToBytes(hex)
  const topic = topicOf(keyBytes)
  if (topics.has(topic)) return topic
  topics.set(topic, hex)
  pubsub.topicValidators.set(topic, async (_peer, msg) => {
    let rec
    try {
      rec = await checkRecord(keyBytes, msg.data)
    } catch (err) {
      log(`pubsub: invalid record on ${topic}: ${err.message}`)
      return TopicValidatorResult.Reject
    }
    if (!better(rec, held.get(hex))) return TopicValidatorResult.Ignore
    held.set(hex, rec)
    return TopicValidatorResult.Accept
  })
  pubsub.subscribe(topic)
  return topic
}

async function handle (req) {
  switch (req.cmd) {
    case 'dial': {
      const c = await node.dial(multiaddr(req.addr), { signal: AbortSignal.timeout(20_000) })
      return { peer: c.remotePeer.toString() }
    }
    case 'follow':
      return { topic: follow(req.key) }
    case 'create': {
      const rec = await createIPNSRecord(ownKey, req.value, BigInt(req.sequence), 60 * 60 * 1000, { v1Compatible: true })
      const bytes = marshalIPNSRecord(rec)
      const peerId = peerIdFromPrivateKey(ownKey)
      const key = multihashToIPNSRoutingKey(peerId.toMultihash())
      const hex = bytesToHex(key)
      follow(hex)
      held.set(hex, await checkRecord(key, bytes))
      return { key: hex, name: peerId.toString(), record: bytesToHex(bytes) }
    }
    case 'store': {
      const rec = await checkRecord(hexToBytes(req.key), hexToBytes(req.record))
      held.set(req.key, rec)
      return {}
    }
    case 'publish': {
      const h = held.get(req.key)
      if (h == null) throw new Error('no record held for that key')
      const r = await pubsub.publish(topicOf(hexToBytes(req.key)), h.bytes)
      return { recipients: r.recipients.map(p => p.toString()) }
    }
    case 'fetch': {
      const data = await node.services.fetch.fetch(peerIdFromString(req.peer), hexToBytes(req.key),
        { signal: AbortSignal.timeout(10_000) })
      if (data == null) return { found: false }
      const rec = await checkRecord(hexToBytes(req.key), data)
      return { found: true, sequence: Number(rec.sequence), record: bytesToHex(data) }
    }
    case 'peers': {
      const topic = topicOf(hexToBytes(req.key))
      return {
        subscribers: pubsub.getSubscribers(topic).map(p => p.toString()),
        mesh: pubsub.getMeshPeers(topic)
      }
    }
    case 'held': {
      const h = held.get(req.key)
      return h == null ? { found: false } : { found: true, sequence: Number(h.sequence), value: h.value }
    }
    default:
      throw new Error(`unknown cmd ${req.cmd}`)
  }
}

emit({ event: 'listening', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(a => a.toString()) })

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
let queue = Promise.resolve()
rl.on('line', line => {
  if (line.trim() === '') return
  queue = queue.then(async () => {
    try {
      if (line.length > MAX_LINE_CHARS) throw new Error(`request line longer than ${MAX_LINE_CHARS} chars`)
      emit({ event: 'reply', ok: true, ...(await handle(JSON.parse(line))) })
    } catch (err) {
      emit({ event: 'reply', ok: false, error: String(err?.message ?? err) })
    }
  })
})
onStdinEnd(async () => {
  log('pubsub peer: stdin closed, stopping')
  await node.stop().catch(() => {})
  process.exit(0)
})
