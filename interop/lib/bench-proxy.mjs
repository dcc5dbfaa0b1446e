// Shared by the benchmark's js-libp2p chain (bench-js-exposer.mjs, bench-js-gateway.mjs):
// the libp2p node configuration and a streaming HTTP/1.1 forwarder built on node:http.
import http from 'node:http'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { HTTP_PROTOCOL, http as libp2pHttp } from '@libp2p/http'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'

/**
 * Concurrent streams allowed per connection and per protocol. js-libp2p's defaults (32 inbound /
 * 64 outbound per protocol, 1,000 per yamux session) would cap the baseline far below the
 * benchmark's 256 connections and 2,000 long-polls, so both peers raise them.
 */
export const BENCH_STREAM_LIMIT = 8192
/** Inbound connections accepted per second from one host (js-libp2p's default is 5). */
export const BENCH_INBOUND_CONNECTIONS_PER_SECOND = 1000
/** Listen backlog of the node:http servers (2,000 long-polls arrive at once). */
export const LISTEN_BACKLOG = 4096

/** Headers that belong to one hop and are never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding',
  'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate'])

/** A js-libp2p 3 node on loopback: TCP + Noise + yamux, the @libp2p/http service, no discovery. */
export async function createBenchNode ({ listen, server }) {
  const node = await createLibp2p({
    addresses: { listen: listen ? ['/ip4/127.0.0.1/tcp/0'] : [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ maxInboundStreams: BENCH_STREAM_LIMIT, maxOutboundStreams: BENCH_STREAM_LIMIT })],
    peerDiscovery: [],
    connectionMonitor: { enabled: false },
    // The cold-first-byte figure redials the exposer once per sample; the default (5 inbound
    // connections per second per remote host) would refuse the 6th sample.
    connectionManager: { inboundConnectionThreshold: BENCH_INBOUND_CONNECTIONS_PER_SECOND },
    services: { http: libp2pHttp(server != null ? { server } : {}) }
  })
  // Re-register the http service's own stream handler with the raised per-protocol limits.
  const registrar = node.services.http.httpRegistrar
  if (registrar == null || typeof registrar.onStream !== 'function') {
    throw new Error('@libp2p/http internals changed: cannot raise the /http/1.1 stream limits')
  }
  await node.handle(HTTP_PROTOCOL, registrar.onStream, {
    force: true,
    maxInboundStreams: BENCH_STREAM_LIMIT,
    maxOutboundStreams: BENCH_STREAM_LIMIT
  })
  return node
}

function forwardableHeaders (headers) {
  const out = {}
  for (const [k, v] of Object.entries(headers)) {
    if (!HOP_BY_HOP.has(k)) out[k] = v
  }
  return out
}

/**
 * Forwards `req` to `target` (options for http.request: agent, host, port) with `path`, streaming
 * both bodies; answers 502 when the upstream fails before the response started, otherwise aborts.
 */
export function forward (req, res, target, path, extraHeaders = {}) {
  const headers = { ...forwardableHeaders(req.headers), ...extraHeaders }
  const up = http.request({ ...target, method: req.method, path, headers }, (ures) => {
    res.writeHead(ures.statusCode ?? 502, forwardableHeaders(ures.headers))
    ures.pipe(res)
    ures.on('error', () => res.destroy())
  })
  up.on('error', (err) => {
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'text/plain' })
      res.end(`upstream failed: ${err.message}\n`)
    } else {
      res.destroy(err)
    }
  })
  res.on('close', () => {
    if (!res.writableFinished) up.destroy()
  })
  req.pipe(up)
}
