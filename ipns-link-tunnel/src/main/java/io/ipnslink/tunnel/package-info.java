/**
 * The site tunnel (docs/tunnel.md): HTTP/1.1 over a libp2p stream negotiated as
 * {@code /x/{name}/http} or {@code /http/1.1}. This package holds what both halves share: the
 * protocol ids ({@link io.ipnslink.tunnel.TunnelProtocol}), the codec limits
 * ({@link io.ipnslink.tunnel.TunnelLimits}), the hop-by-hop rule ({@link io.ipnslink.tunnel.HopByHop})
 * and the error header contract ({@link io.ipnslink.tunnel.TunnelErrors}). The gateway's half is in
 * {@code client}, the exposer's in {@code server}.
 */
package io.ipnslink.tunnel;
