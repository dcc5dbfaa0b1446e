// Line-oriented JSON front end of the js `ipns` package, for the Java interop tests.
// One JSON request per stdin line, one JSON response per stdout line, until stdin closes.
//
//   {"op":"create","privateKey":"<hex PrivateKey protobuf>","value":"/ipfs/...","sequence":N,
//    "lifetimeMs":N,"ttlNs":N,"v1Compatible":bool, "extraData":{"Key":"text"|N|{"hex":".."}}?}
//     -> {"ok":true,"record":"<hex>","name":"k51..."}
//   {"op":"verify","name":"<k51.../bafz.../12D3.../Qm..., optionally /ipns/-prefixed>","record":"<hex>"}
//     -> {"ok":true,"valid":true,"value":..,"sequence":"..","ttl":"..","validity":"..","v1":bool}
//      | {"ok":true,"valid":false,"error":".."}
//   anything broken -> {"ok":false,"error":".."}
//
// sequence and ttl are answered as decimal strings (they are uint64). "extraData" adds keys to the
// signed CBOR data (the ipns package cannot; the tool builds that data itself and signs it V2).
import './lib/polyfill.mjs'
import { createInterface } from 'node:readline'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { createIPNSRecord, marshalIPNSRecord, unmarshalIPNSRecord, multihashToIPNSRoutingKey } from 'ipns'
import { ipnsValidator } from 'ipns/validator'
import { CID } from 'multiformats/cid'
import { base36 } from 'multiformats/bases/base36'
import { base58btc } from 'multiformats/bases/base58'
import * as Digest from 'multiformats/hashes/digest'
import { encodeMap } from './lib/cbor.mjs'
import { bytesToHex, emit, hexToBytes, intOption, log, parseArgs, startWatchdog } from './lib/common.mjs'

/** Longest request line accepted (a marshalled record is at most 10 KiB, so 64 KiB of JSON is plenty). */
const MAX_LINE_CHARS = 64 * 1024
const LIBP2P_KEY_CODEC = 0x72

const { options } = parseArgs()
startWatchdog(intOption(options, 'timeout', 120))

function requireField (req, name, type) {
  const v = req[name]
  if (typeof v !== type) throw new Error(`field "${name}" must be a ${type}`)
  return v
}

function toBigInt (v, name) {
  if (typeof v === 'bigint' && v >= 0n) return v
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v)
  if (typeof v === 'string' && /^[0-9]+$/.test(v)) return BigInt(v)
  throw new Error(`field "${name}" must be a non-negative integer (number or decimal string)`)
}

/** The libp2p-key name (k51...) of a key: CIDv1 libp2p-key of the identity/sha256 multihash, base36. */
function ipnsName (publicKey) {
  return CID.createV1(LIBP2P_KEY_CODEC, publicKey.toMultihash()).toString(base36)
}

/** Accepts every common spelling of an IPNS name and returns its multihash. */
function parseName (text) {
  let s = text.trim()
  if (s.startsWith('/ipns/')) s = s.slice('/ipns/'.length)
  if (s.length === 0) throw new Error('empty name')
  if (s.startsWith('1') || s.startsWith('Q')) {
    return Digest.decode(base58btc.decode('z' + s))
  }
  const cid = s.startsWith('k') ? CID.parse(s, base36) : CID.parse(s)
  if (cid.version !== 1 || cid.code !== LIBP2P_KEY_CODEC) {
    throw new Error(`name is a CID but not a CIDv1 libp2p-key (codec 0x${cid.code.toString(16)})`)
  }
  return cid.multihash
}

async function create (req) {
  const privateKey = privateKeyFromProtobuf(hexToBytes(requireField(req, 'privateKey', 'string')))
  const value = requireField(req, 'value', 'string')
  const sequence = toBigInt(req.sequence ?? 0, 'sequence')
  const lifetimeMs = Number(toBigInt(req.lifetimeMs ?? 3_600_000, 'lifetimeMs'))
  const ttlNs = toBigInt(req.ttlNs ?? 300_000_000_000n, 'ttlNs')
  const v1Compatible = req.v1Compatible ?? true
  if (typeof v1Compatible !== 'boolean') throw new Error('field "v1Compatible" must be a boolean')

  const record = await createIPNSRecord(privateKey, value, sequence, lifetimeMs, { ttlNs, v1Compatible })
  if (req.extraData != null) {
    if (typeof req.extraData !== 'object' || Array.isArray(req.extraData)) {
      throw new Error('field "extraData" must be an object')
    }
    const data = {
      Value: new TextEncoder().encode(record.value),
      Validity: new TextEncoder().encode(record.validity),
      ValidityType: 0,
      Sequence: record.sequence,
      TTL: record.ttl
    }
    for (const [k, v] of Object.entries(req.extraData)) {
      if (k in data) throw new Error(`extraData key "${k}" would replace a standard field`)
      if (typeof v === 'string' || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)) {
        data[k] = v
      } else if (v != null && typeof v === 'object' && typeof v.hex === 'string') {
        data[k] = hexToBytes(v.hex)
      } else {
        throw new Error(`extraData "${k}": use a string, a non-negative integer or {"hex":".."}`)
      }
    }
    record.data = encodeMap(data)
    const sigData = new Uint8Array([...new TextEncoder().encode('ipns-signature:'), ...record.data])
    record.signatureV2 = await privateKey.sign(sigData)
  }
  return { ok: true, record: bytesToHex(marshalIPNSRecord(record)), name: ipnsName(privateKey.publicKey) }
}

async function verify (req) {
  const multihash = parseName(requireField(req, 'name', 'string'))
  const bytes = hexToBytes(requireField(req, 'record', 'string'))
  try {
    await ipnsValidator(multihashToIPNSRoutingKey(multihash), bytes)
    const r = unmarshalIPNSRecord(bytes)
    return {
      ok: true,
      valid: true,
      value: r.value,
      sequence: r.sequence.toString(),
      ttl: r.ttl?.toString(),
      validity: r.validity,
      v1: 'signatureV1' in r
    }
  } catch (err) {
    return { ok: true, valid: false, error: `${err.name}: ${err.message}` }
  }
}

async function handle (line) {
  if (line.length > MAX_LINE_CHARS) throw new Error(`request longer than ${MAX_LINE_CHARS} characters`)
  const req = JSON.parse(line)
  if (req == null || typeof req !== 'object') throw new Error('request must be a JSON object')
  switch (req.op) {
    case 'create': return create(req)
    case 'verify': return verify(req)
    default: throw new Error(`unknown op: ${JSON.stringify(req.op)}`)
  }
}

// Requests are answered strictly in order: each line is handled before the next one is read.
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
for await (const line of rl) {
  if (line.trim() === '') continue
  try {
    emit(await handle(line))
  } catch (err) {
    emit({ ok: false, error: err?.message ?? String(err) })
  }
}
log('ipns-tool: stdin closed, exiting')
process.exit(0)
