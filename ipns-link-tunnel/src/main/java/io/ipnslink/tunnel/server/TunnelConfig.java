package io.ipnslink.tunnel.server;

import io.ipnslink.core.crypto.PeerId;
import java.time.Duration;
import java.util.Set;

/**
 * Limits of the tunnel, and whose forwarding headers it believes.
 *
 * @param originConnectTimeout TCP connect to the origin; past it: 502
 * @param firstByteTimeout request sent to response head received; past it: 504
 * @param idleTimeout no byte in either direction for this long ends the exchange (stream reset)
 * @param maxIdlePerOrigin keep-alive connections kept open per origin between requests (default 256, as
 *        many as a busy gateway keeps requests in flight: fewer makes sustained load open and close
 *        connections all the time)
 * @param trustedGateways peer ids of gateways whose {@code X-Forwarded-*} and {@code Forwarded}
 *        headers go on to the origin as they came. Any libp2p peer can open a site stream and write
 *        these headers, so from every other peer they are dropped and the exposer sets
 *        {@code X-Forwarded-For} / {@code Forwarded: for=} to the peer's own address
 *        ({@link io.ipnslink.tunnel.ForwardingHeaders}). Empty by default: no peer is believed
 */
public record TunnelConfig(Duration originConnectTimeout, Duration firstByteTimeout, Duration idleTimeout,
        int maxIdlePerOrigin, Set<PeerId> trustedGateways) {

    /** Most peer ids in {@link #trustedGateways}. */
    public static final int MAX_TRUSTED_GATEWAYS = 64;

    public TunnelConfig {
        trustedGateways = Set.copyOf(trustedGateways);
        if (trustedGateways.size() > MAX_TRUSTED_GATEWAYS) {
            throw new IllegalArgumentException("at most " + MAX_TRUSTED_GATEWAYS + " trusted gateways");
        }
    }

    /** Without trusted gateways. */
    public TunnelConfig(Duration originConnectTimeout, Duration firstByteTimeout, Duration idleTimeout,
            int maxIdlePerOrigin) {
        this(originConnectTimeout, firstByteTimeout, idleTimeout, maxIdlePerOrigin, Set.of());
    }

    public static TunnelConfig defaults() {
        return new TunnelConfig(Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(120), 256);
    }

    /** These settings with {@code peers} as the trusted gateways. */
    public TunnelConfig withTrustedGateways(Set<PeerId> peers) {
        return new TunnelConfig(originConnectTimeout, firstByteTimeout, idleTimeout, maxIdlePerOrigin, peers);
    }
}
