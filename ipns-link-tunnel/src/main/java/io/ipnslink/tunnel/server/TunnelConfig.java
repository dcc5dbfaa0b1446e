package io.ipnslink.tunnel.server;

import java.time.Duration;

/**
 * Limits of the tunnel.
 *
 * @param originConnectTimeout TCP connect to the origin; past it: 502
 * @param firstByteTimeout request sent to response head received; past it: 504
 * @param idleTimeout no byte in either direction for this long ends the exchange (stream reset)
 * @param maxIdlePerOrigin keep-alive connections kept open per origin between requests (default 256, as
 *        many as a busy gateway keeps requests in flight: fewer makes sustained load open and close
 *        connections all the time)
 */
public record TunnelConfig(Duration originConnectTimeout, Duration firstByteTimeout, Duration idleTimeout,
        int maxIdlePerOrigin) {
    public static TunnelConfig defaults() {
        return new TunnelConfig(Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(120), 256);
    }
}
