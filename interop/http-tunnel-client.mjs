// The gateway side of the exposer's HTTP tunnel, played by js-libp2p 3 with the @libp2p/http
// client (`fetch` and `connect` over the /http/1.1 protocol, TCP + Noise + yamux). The exposer
// under test serves its default site on /http/1.1; its origin must answer:
//   GET /hello -> 200 with a short text body
//   POST /sha256 -> 200 with the lowercase hex SHA-256 of the request body
//   GET /big -> 200 with a long body (its SHA-256 is reported, the test knows the expected one)
//   (with --ws) a WebSocket echo on /ws that greets with one text message first
//
//   node http-tunnel-client.mjs --exposer <multiaddr with /p2p/> [--ws <multiaddr with /p2p/>]
//        [--post-mib N (20)] [--steps get,post,download,ws (all)] [--timeout S]
//        [--step-timeout-ms MS (120000)]
//     prints {"event":"get",...}, {"event":"post",...}, {"event":"download",...},
//     (with --ws) {"event":"ws",...} (20 echoes, one 65,000-byte echo, origin-initiated close), then {"event":"done","ok":bool}; exit 0 when ok, 1 otherwise,
//     3 = watchdog. Every step is bounded by --step-timeout-ms.
import './lib/polyfill.mjs'
import { createHash } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { http } from '@libp2p/http'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { emit, intOption, log, parseArgs, startWatchdog } from './lib/common.mjs'

const { options } = parseArgs()
startWatchdog(intOption(options, 'timeout', 300))
const stepTimeoutMs = intOption(options, 'step-timeout-ms', 120_000)
const postBytes = intOption(options, 'post-mib', 20) * 1024 * 1024
const steps = new Set(String(options.steps ?? 'get,post,download,ws').split(','))

function target (name) {
  const value = options[name]
  if (value == null) return null
  const ma = typeof value === 'string' ? multiaddr(value) : null
  if (ma == null || !ma.getComponents().some(c => c.name === 'p2p')) {
    log(`--${name} needs a multiaddr with a /p2p/<peer id> component`)
    process.exit(2)
  }
  return ma
}
const exposer = target('exposer')
const wsExposer = target('ws')
if (exposer == null) {
  log('usage: node http-tunnel-client.mjs --exposer <multiaddr/p2p/..> [--ws <multiaddr/p2p/..>] [--post-mib N]')
  process.exit(2)
}

const node = await createLibp2p({
  addresses: { listen: [] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  peerDiscovery: [],
  connectionMonitor: { enabled: false },
  services: { http: http() }
})

/**
 * The exposer's multiaddr with an /http-path for `path` (how @libp2p/http addresses a path). The
 * component's value is the path without its leading slash: @libp2p/http-utils adds one.
 */
function at (ma, path) {
  return ma.encapsulate(`/http-path/${encodeURIComponent(path.replace(/^\//, ''))}`)
}

/** Largest WebSocket message sent: below the 64-bit length form (see webSocket()). */
const WS_BIG_BYTES = 65_000

/** Deterministic bytes: SHA-256 in counter mode, so no big buffer has to come from elsewhere. */
function pseudoRandom (n) {
  const out = Buffer.alloc(n)
  for (let off = 0, i = 0; off < n; off += 32, i++) {
    createHash('sha256').update(`ipns-link ${i}`).digest().copy(out, off, 0, Math.min(32, n - off))
  }
  return out
}

async function get () {
  const started = Date.now()
  const res = await node.services.http.fetch(at(exposer, '/hello'), { signal: AbortSignal.timeout(stepTimeoutMs) })
  const body = await res.text()
  return { event: 'get', status: res.status, body, via: res.headers.get('via'), ms: Date.now() - started }
}

async function post () {
  const started = Date.now()
  const body = pseudoRandom(postBytes)
  const local = createHash('sha256').update(body).digest('hex')
  const res = await node.services.http.fetch(at(exposer, '/sha256'), {
    method: 'POST',
    body,
    signal: AbortSignal.timeout(stepTimeoutMs)
  })
  const remote = (await res.text()).trim()
  return { event: 'post', status: res.status, bytes: body.length, sha256: local, originSha256: remote, match: local === remote, ms: Date.now() - started }
}

async function download () {
  const started = Date.now()
  const res = await node.services.http.fetch(at(exposer, '/big'), { signal: AbortSignal.timeout(stepTimeoutMs) })
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of res.body) {
    hash.update(chunk)
    bytes += chunk.byteLength
  }
  return {
    event: 'download',
    status: res.status,
    contentLength: Number(res.headers.get('content-length')),
    bytes,
    sha256: hash.digest('hex'),
    ms: Date.now() - started
  }
}

/** Waits for the next `type` event of a WebSocket, bounded by the step timeout. */
function next (ws, type) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no WebSocket ${type} within ${stepTimeoutMs} ms`)), stepTimeoutMs)
    ws.addEventListener(type, (e) => { clearTimeout(timer); resolve(e) }, { once: true })
  })
}

/**
 * WebSocket echo through the tunnel with @libp2p/http's `connect`. What @libp2p/http-websocket 2.0.4
 * does, which shapes this step: it sends every message as a binary frame and hands every message
 * over as an ArrayBuffer; it writes (and reads) RFC 6455's 64-bit payload length in the wrong 4
 * bytes, so messages of 65,535 bytes and more do not interoperate with a conformant peer; its
 * frames with an empty payload (a close without code, an empty ping) set the MASK bit without a
 * masking key, so a close started by this client leaves a conformant server waiting. Hence the
 * largest message uses the 16-bit length (the Java tests cover 1 MiB messages) and the origin
 * starts the close (it answers "bye" with a close frame and closes its connection).
 */
async function webSocket () {
  const started = Date.now()
  const ws = await node.services.http.connect(at(wsExposer, '/ws'), { signal: AbortSignal.timeout(stepTimeoutMs) })
  ws.binaryType = 'arraybuffer'
  const messages = []
  ws.addEventListener('message', (e) => messages.push(e.data))
  const closed = next(ws, 'close')
  async function nextMessage () {
    while (messages.length === 0) await next(ws, 'message')
    return messages.shift()
  }
  const text = (data) => typeof data === 'string' ? data : new TextDecoder().decode(data)
  if (ws.readyState !== 1) await next(ws, 'open')
  const greeting = text(await nextMessage())
  let echoed = 0
  for (let i = 0; i < 20; i++) {
    ws.send(`message ${i}`)
    if (text(await nextMessage()) === `message ${i}`) echoed++
  }
  const big = pseudoRandom(WS_BIG_BYTES)
  ws.send(big)
  const back = await nextMessage()
  const bigMatch = back instanceof ArrayBuffer && Buffer.from(back).equals(big)
  ws.send('bye')
  await closed
  return { event: 'ws', greeting, echoed, bigBytes: big.length, bigMatch, closed: ws.readyState === 3, ms: Date.now() - started }
}

let ok = true
try {
  if (steps.has('get')) {
    const g = await get()
    emit(g)
    ok &&= g.status === 200
  }
  if (steps.has('post')) {
    const p = await post()
    emit(p)
    ok &&= p.status === 200 && p.match
  }
  if (steps.has('download')) {
    const d = await download()
    emit(d)
    ok &&= d.status === 200 && d.bytes === d.contentLength
  }
  if (steps.has('ws') && wsExposer != null) {
    const w = await webSocket()
    emit(w)
    ok &&= w.echoed === 20 && w.bigMatch && w.closed
  }
} catch (err) {
  log(`failed: ${err.stack ?? err}`)
  emit({ event: 'error', message: String(err.message ?? err) })
  ok = false
}
emit({ event: 'done', ok })
await node.stop().catch(() => {})
process.exit(ok ? 0 : 1)
