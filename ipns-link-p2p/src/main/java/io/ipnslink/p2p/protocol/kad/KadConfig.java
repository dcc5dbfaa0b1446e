package io.ipnslink.p2p.protocol.kad;

import java.time.Duration;
import java.util.Objects;

/**
 * Parameters and bounds of a {@link KadDht}.
 *
 * @param k replication parameter and bucket size (20)
 * @param alpha requests in flight per lookup (3)
 * @param maxPeersPerQuery peers one lookup contacts at most (100)
 * @param queryTimeout time one lookup may take; it then ends with what it has (60 s)
 * @param requestTimeout time for one request: dial, negotiation and answer (10 s)
 * @param maxCloserPeers closer peers used from one answer; more are ignored (20)
 * @param quorum valid records a GET collects before it stops early (16, as go does for IPNS)
 * @param maxPutsPerPeer PUT_VALUE requests a server accepts from one peer per {@code putRatePeriod} (30)
 * @param putRatePeriod window of that rate (60 s)
 * @param streamIdleTimeout time a server waits for the next request on an inbound stream (10 s)
 * @param refreshInterval period of the routing table refresh (a lookup of our own id) after
 *     {@link KadDht#start()} (5 min); zero: none
 */
public record KadConfig(int k, int alpha, int maxPeersPerQuery, Duration queryTimeout, Duration requestTimeout,
        int maxCloserPeers, int quorum, int maxPutsPerPeer, Duration putRatePeriod, Duration streamIdleTimeout,
        Duration refreshInterval) {

    public KadConfig {
        atLeastOne(k, "k");
        atLeastOne(alpha, "alpha");
        atLeastOne(maxPeersPerQuery, "maxPeersPerQuery");
        atLeastOne(maxCloserPeers, "maxCloserPeers");
        atLeastOne(quorum, "quorum");
        atLeastOne(maxPutsPerPeer, "maxPutsPerPeer");
        positive(queryTimeout, "queryTimeout");
        positive(requestTimeout, "requestTimeout");
        positive(putRatePeriod, "putRatePeriod");
        positive(streamIdleTimeout, "streamIdleTimeout");
        Objects.requireNonNull(refreshInterval, "refreshInterval");
        if (refreshInterval.isNegative()) {
            throw new IllegalArgumentException("refreshInterval must not be negative");
        }
    }

    public static KadConfig defaults() {
        return new KadConfig(Kad.K, Kad.ALPHA, 100, Duration.ofSeconds(60), Duration.ofSeconds(10), Kad.K, 16, 30,
                Duration.ofSeconds(60), Duration.ofSeconds(10), Duration.ofMinutes(5));
    }

    public KadConfig withQueryTimeout(Duration v) {
        return new KadConfig(k, alpha, maxPeersPerQuery, v, requestTimeout, maxCloserPeers, quorum, maxPutsPerPeer,
                putRatePeriod, streamIdleTimeout, refreshInterval);
    }

    public KadConfig withRequestTimeout(Duration v) {
        return new KadConfig(k, alpha, maxPeersPerQuery, queryTimeout, v, maxCloserPeers, quorum, maxPutsPerPeer,
                putRatePeriod, streamIdleTimeout, refreshInterval);
    }

    public KadConfig withMaxPeersPerQuery(int v) {
        return new KadConfig(k, alpha, v, queryTimeout, requestTimeout, maxCloserPeers, quorum, maxPutsPerPeer,
                putRatePeriod, streamIdleTimeout, refreshInterval);
    }

    public KadConfig withQuorum(int v) {
        return new KadConfig(k, alpha, maxPeersPerQuery, queryTimeout, requestTimeout, maxCloserPeers, v,
                maxPutsPerPeer, putRatePeriod, streamIdleTimeout, refreshInterval);
    }

    public KadConfig withMaxPutsPerPeer(int v) {
        return new KadConfig(k, alpha, maxPeersPerQuery, queryTimeout, requestTimeout, maxCloserPeers, quorum, v,
                putRatePeriod, streamIdleTimeout, refreshInterval);
    }

    public KadConfig withRefreshInterval(Duration v) {
        return new KadConfig(k, alpha, maxPeersPerQuery, queryTimeout, requestTimeout, maxCloserPeers, quorum,
                maxPutsPerPeer, putRatePeriod, streamIdleTimeout, v);
    }

    public KadConfig withK(int v) {
        return new KadConfig(v, alpha, maxPeersPerQuery, queryTimeout, requestTimeout, maxCloserPeers, quorum,
                maxPutsPerPeer, putRatePeriod, streamIdleTimeout, refreshInterval);
    }

    private static void atLeastOne(int v, String name) {
        if (v < 1) {
            throw new IllegalArgumentException(name + " must be >= 1: " + v);
        }
    }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(name + " must be positive: " + d);
        }
    }
}
