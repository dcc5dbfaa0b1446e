// A Helia 7 node (createHelia adds @helia/bitswap, /ipfs/bitswap/1.2.0) on loopback, for the interop tests
// of our bitswap server and client. No routers, no gateways, no discovery: it reaches only the peers
// it is told to dial.
//
//   node bitswap-peer.mjs [--timeout S]
//     Prints {"event":"listening","peerId":..,"addrs":[..]} then one JSON answer per JSON request line
//     (stdin), until stdin closes:
//       {"op":"import","size":N,"seed":S,"car":"<path>","profile":"v0"|"v1"}
//           imports N pseudo-random bytes with ipfs-unixfs-importer into a blockstore of its own (not
//           Helia's) and writes all its blocks to a CAR file
//           -> {"ok":true,"root":"<cid>","blocks":N,"sha256":"<hex of the file>"}
//       {"op":"add","size":N,"seed":S,"profile":..}  the same into Helia's own blockstore (Helia then
//           serves it over bitswap)
//           -> {"ok":true,"root":"<cid>","cids":["<cid>",..],"sha256":"<hex of the file>"}
//       {"op":"dial","addr":"<multiaddr with /p2p>"}                -> {"ok":true}
//       {"op":"cat","cid":"<cid>"}   @helia/unixfs cat through bitswap from the connected peers
//           -> {"ok":true,"length":N,"sha256":"<hex>"}
//       {"op":"get","cid":"<cid>"}   one block through bitswap -> {"ok":true,"hex":".."}
//     anything broken -> {"ok":false,"error":".."}
import './lib/polyfill.mjs'
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { unixfs } from '@helia/unixfs'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { CarWriter } from '@ipld/car'
import { multiaddr } from '@multiformats/multiaddr'
import { MemoryBlockstore } from 'blockstore-core'
import { createHelia } from 'helia'
import { importer } from 'ipfs-unixfs-importer'
import { CID } from 'multiformats/cid'
import { emit, intOption, log, onStdinEnd, parseArgs, startWatchdog } from './lib/common.mjs'

const MAX_LINE_CHARS = 64 * 1024
const MAX_FILE_BYTES = 16 * 1024 * 1024
const REQUEST_TIMEOUT_MS = 30_000

const { options } = parseArgs()
startWatchdog(intOption(options, 'timeout', 120))

const helia = await createHelia({
  libp2p: {
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: [],
    services: { identify: identify() }
  },
  http: { delegatedRouters: [], recursiveGateways: [] }
})
await helia.start()
const fs = unixfs(helia)

emit({
  event: 'listening',
  peerId: helia.libp2p.peerId.toString(),
  addrs: helia.libp2p.getMultiaddrs().map(a => a.toString())
})

/** N bytes from a small deterministic generator (xorshift32), so a test can name a file by seed. */
function fileBytes (size, seed) {
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_FILE_BYTES) throw new Error(`size must be 0..${MAX_FILE_BYTES}`)
  let x = (seed | 0) || 1
  const out = new Uint8Array(size)
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

function importOptions (req) {
  if (req.profile === 'v0') return { profile: 'unixfs-v0-2015' }
  return {} // CIDv1, raw leaves, 256 KiB chunks
}

/**
 * Imports the file; returns its root and every block with its real CID (a MemoryBlockstore keys by
 * multihash and lists every block as raw, so the CIDs are taken as the importer puts them).
 */
async function importFile (req) {
  const bytes = fileBytes(req.size, req.seed)
  const blocks = new Map()
  const store = new MemoryBlockstore()
  const recording = {
    put: async (cid, data, opts) => {
      if (!(data instanceof Uint8Array)) data = await concat(data)
      blocks.set(cid.toString(), { cid, bytes: data })
      return store.put(cid, data, opts)
    },
    has: (cid, opts) => store.has(cid, opts),
    get: (cid, opts) => store.get(cid, opts)
  }
  let root
  for await (const entry of importer([{ content: bytes }], recording, importOptions(req))) {
    root = entry.cid
  }
  return { root, blocks: [...blocks.values()], sha256: createHash('sha256').update(bytes).digest('hex') }
}

async function concat (chunks) {
  const parts = []
  for await (const c of chunks) parts.push(c)
  return Buffer.concat(parts)
}

function field (req, name, type) {
  const v = req[name]
  if (typeof v !== type) throw new Error(`field "${name}" must be a ${type}`)
  return v
}

async function handle (req) {
  switch (req.op) {
    case 'import': {
      const { root, blocks, sha256 } = await importFile(req)
      const { writer, out } = CarWriter.create([root])
      const written = pipeline(Readable.from(out), createWriteStream(field(req, 'car', 'string')))
      for (const block of blocks) {
        await writer.put(block)
      }
      await writer.close()
      await written
      return { ok: true, root: root.toString(), blocks: blocks.length, sha256 }
    }
    case 'add': {
      const { root, blocks, sha256 } = await importFile(req)
      for (const { cid, bytes } of blocks) {
        await helia.blockstore.put(cid, bytes)
      }
      return { ok: true, root: root.toString(), cids: blocks.map(b => b.cid.toString()), sha256 }
    }
    case 'dial': {
      await helia.libp2p.dial(multiaddr(field(req, 'addr', 'string')), { signal: AbortSignal.timeout(10_000) })
      return { ok: true }
    }
    case 'cat': {
      const cid = CID.parse(field(req, 'cid', 'string'))
      const hash = createHash('sha256')
      let length = 0
      for await (const chunk of fs.cat(cid, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })) {
        hash.update(chunk)
        length += chunk.length
      }
      return { ok: true, length, sha256: hash.digest('hex') }
    }
    case 'get': {
      const cid = CID.parse(field(req, 'cid', 'string'))
      const bytes = await concat(helia.blockstore.get(cid, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }))
      return { ok: true, hex: bytes.toString('hex') }
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
    log('bitswap peer: stdin closed, stopping')
    await helia.stop().catch(() => {})
    process.exit(0)
  })
})
