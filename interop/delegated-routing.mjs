// Delegated Routing V1 HTTP API (IPNS part) from the JS side, for the Java interop tests.
//
//   node delegated-routing.mjs client --url http://127.0.0.1:PORT [--timeout S] [--request-timeout MS]
//     @helia/delegated-routing-v1-http-api-client against a server (ours). Prints {"event":"ready"},
//     then one JSON request per stdin line, one JSON response per stdout line, until stdin closes:
//       {"op":"put","name":"<k51.../bafz...>","record":"<hex>"}  -> {"ok":true}
//       {"op":"get","name":"<k51.../bafz...>"}                   -> {"ok":true,"found":true,"record":"<hex>"}
//                                                                 | {"ok":true,"found":false}
//       failures                                                  -> {"ok":false,"error":"..","errorName":".."}
//
//   node delegated-routing.mjs server [--timeout S]
//     @helia/delegated-routing-v1-http-api-server on 127.0.0.1 (random port) over an in-memory
//     routing (no Helia node needed: the server only calls routing.get/put for IPNS). Prints
//     {"event":"listening","url":"http://127.0.0.1:PORT"}; then stdin requests on its memory:
//       {"op":"get","name":".."} -> {"ok":true,"found":bool,"record":"<hex>"?}
//       {"op":"put","name":"..","record":"<hex>"} -> {"ok":true}   (stored as is, not validated)
//     Ends when stdin closes.
import './lib/polyfill.mjs'
import { createInterface } from 'node:readline'
import { delegatedRoutingV1HttpApiClient } from '@helia/delegated-routing-v1-http-api-client'
import { createDelegatedRoutingV1HttpApiServer } from '@helia/delegated-routing-v1-http-api-server'
import { defaultLogger } from '@libp2p/logger'
import { multihashToIPNSRoutingKey } from 'ipns'
import { CID } from 'multiformats/cid'
import { base36 } from 'multiformats/bases/base36'
import { bytesToHex, emit, hexToBytes, intOption, log, onStdinEnd, parseArgs, startWatchdog } from './lib/common.mjs'

/** Longest request line accepted (a record is at most 10 KiB, hex doubles it). */
const MAX_LINE_CHARS = 64 * 1024
const LIBP2P_KEY_CODEC = 0x72

const { positional, options } = parseArgs()
startWatchdog(intOption(options, 'timeout', 120))

/** A libp2p-key CIDv1 from its text (base36 k51... or base32 bafz...). */
function parseName (text) {
  if (typeof text !== 'string' || text.length === 0) throw new Error('field "name" must be a non-empty string')
  const cid = text.startsWith('k') ? CID.parse(text, base36) : CID.parse(text)
  if (cid.version !== 1 || cid.code !== LIBP2P_KEY_CODEC) {
    throw new Error(`name is not a CIDv1 libp2p-key (codec 0x${cid.code.toString(16)})`)
  }
  return cid
}

function recordField (req) {
  if (typeof req.record !== 'string') throw new Error('field "record" must be a hex string')
  return hexToBytes(req.record)
}

/** Runs `handle` for every stdin JSON line, answering one JSON line each; calls `done` at the end. */
function serveStdin (handle, done) {
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
  let queue = Promise.resolve()
  rl.on('line', line => {
    if (line.trim() === '') return
    queue = queue.then(async () => {
      try {
        if (line.length > MAX_LINE_CHARS) throw new Error(`request line longer than ${MAX_LINE_CHARS} chars`)
        const req = JSON.parse(line)
        emit(await handle(req))
      } catch (err) {
        emit({ ok: false, error: String(err?.message ?? err), errorName: err?.name ?? 'Error' })
      }
    })
  })
  onStdinEnd(() => { queue.then(done, done) })
}

async function runClient () {
  const url = options.url
  if (typeof url !== 'string') {
    log('client needs --url http://host:port')
    process.exit(2)
  }
  const requestTimeout = intOption(options, 'request-timeout', 10_000)
  const client = delegatedRoutingV1HttpApiClient({ url, timeout: requestTimeout, cacheTTL: 0 })({ logger: defaultLogger() })
  await client.start()
  serveStdin(async req => {
    const cid = parseName(req.name)
    switch (req.op) {
      case 'put':
        await client.putIPNS(cid, recordField(req), { signal: AbortSignal.timeout(requestTimeout) })
        return { ok: true }
      case 'get':
        try {
          const record = await client.getIPNS(cid, { signal: AbortSignal.timeout(requestTimeout) })
          return { ok: true, found: true, record: bytesToHex(record) }
        } catch (err) {
          if (err?.name === 'NotFoundError') return { ok: true, found: false }
          throw err
        }
      default:
        throw new Error(`unknown op: ${req.op}`)
    }
  }, async () => {
    await client.stop()
    process.exit(0)
  })
  emit({ event: 'ready', url })
}

async function runServer () {
  /** Routing key (hex) -> raw record. */
  const records = new Map()
  const notFound = () => Object.assign(new Error('record not found'), { name: 'NotFoundError' })
  const routing = {
    async get (key) {
      const rec = records.get(bytesToHex(key))
      if (rec == null) throw notFound()
      return rec
    },
    async put (key, value) {
      records.set(bytesToHex(key), Uint8Array.from(value))
    }
  }
  const server = await createDelegatedRoutingV1HttpApiServer({ routing }, { listen: { host: '127.0.0.1', port: 0 } })
  const { port } = server.server.address()
  serveStdin(async req => {
    const key = bytesToHex(multihashToIPNSRoutingKey(parseName(req.name).multihash))
    switch (req.op) {
      case 'get': {
        const rec = records.get(key)
        return rec == null ? { ok: true, found: false } : { ok: true, found: true, record: bytesToHex(rec) }
      }
      case 'put':
        records.set(key, recordField(req))
        return { ok: true }
      default:
        throw new Error(`unknown op: ${req.op}`)
    }
  }, async () => {
    await server.close()
    process.exit(0)
  })
  emit({ event: 'listening', url: `http://127.0.0.1:${port}` })
}

const mode = positional[0]
try {
  if (mode === 'client') await runClient()
  else if (mode === 'server') await runServer()
  else {
    log('usage: delegated-routing.mjs client --url URL | server')
    process.exit(2)
  }
} catch (err) {
  log(`failed: ${err?.stack ?? err}`)
  emit({ event: 'error', error: String(err?.message ?? err) })
  process.exit(1)
}
