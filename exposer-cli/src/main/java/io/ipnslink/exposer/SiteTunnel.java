package io.ipnslink.exposer;

import io.ipnslink.core.ipns.IpnsName;
import java.net.URI;
import java.util.Map;

/**
 * What the exposer needs from the tunnel: serve a site's stream protocol by proxying to its origin.
 * {@link TunnelServiceAdapter} implements it with {@code io.ipnslink.tunnel.server.TunnelService}.
 */
public interface SiteTunnel extends AutoCloseable {
    void addSite(IpnsName name, URI origin, String hostHeader, boolean defaultSite);

    /**
     * {@link #addSite(IpnsName, URI, String, boolean)} with how an {@code https://} origin's
     * certificate is checked; a tunnel that cannot do TLS takes only the default.
     */
    default void addSite(IpnsName name, URI origin, String hostHeader, boolean defaultSite,
            io.ipnslink.tunnel.server.OriginTls tls) {
        if (tls != null && !tls.equals(io.ipnslink.tunnel.server.OriginTls.DEFAULT)) {
            throw new UnsupportedOperationException("this tunnel does not take TLS settings for origins");
        }
        addSite(name, origin, hostHeader, defaultSite);
    }

    void removeSite(IpnsName name);

    /**
     * The peer ids of gateways whose forwarding headers ({@code X-Forwarded-*}, {@code Forwarded})
     * go on to the origins; from any other peer they are replaced by the peer's own address
     * (docs/security.md, "Origin isolation"). Called before the first {@link #addSite}.
     *
     * @throws UnsupportedOperationException by a tunnel that cannot tell peers apart
     */
    default void trustGateways(java.util.Set<io.ipnslink.core.crypto.PeerId> peers) {
        throw new UnsupportedOperationException("this tunnel does not take trusted gateways");
    }

    /**
     * Only these peers' streams for site {@code name} are served; others get a 403 with the
     * {@code gateway-not-allowed} error header before the origin is contacted. Empty: any peer.
     *
     * @throws UnsupportedOperationException by a tunnel that cannot tell peers apart
     */
    default void allowGateways(IpnsName name, java.util.Set<io.ipnslink.core.crypto.PeerId> peers) {
        if (!peers.isEmpty()) {
            throw new UnsupportedOperationException("this tunnel does not take gateway allow-lists");
        }
    }

    /** The tunnel service behind this tunnel, if it is one (the exposer's metrics read its figures). */
    default java.util.Optional<io.ipnslink.tunnel.server.TunnelService> tunnelService() {
        return java.util.Optional.empty();
    }

    /** Counters per site name (requests, errors, active streams, bytes), for {@code status}. */
    Map<String, Object> stats();

    @Override
    void close();
}
