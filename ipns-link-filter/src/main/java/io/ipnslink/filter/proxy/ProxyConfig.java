package io.ipnslink.filter.proxy;

import java.time.Duration;
import java.util.Objects;

/**
 * Limits of the origin proxy.
 *
 * @param dialTimeout connect + secure + negotiate the site's stream; past it: ORIGIN_UNREACHABLE
 * @param firstByteTimeout from the request head sent to the response head received: ORIGIN_TIMEOUT
 * @param idleTimeout no byte in either direction for this long ends the exchange
 * @param maxRequestBodyBytes larger request bodies get REQUEST_TOO_LARGE
 * @param maxStreamsPerOrigin concurrent requests to one origin peer; one more is refused at once (ORIGIN_TIMEOUT: 504)
 * @param allowPrivateAddresses whether manifest addresses in loopback, private, link-local,
 *     unique-local or multicast ranges may be dialed (off: no SSRF into the gateway's network)
 * @param maxIdleStreamsPerSite site streams kept open between requests (HTTP/1.1 keep-alive), per
 *     site; 0: a new stream for every request
 * @param upgradeIdleTimeout no byte in either direction of an upgraded connection (WebSocket) for
 *     this long closes it
 * @param dnsTimeout longest wait for the DNS lookup of a manifest address's name
 * @param requestTimeout the longest a proxied exchange may take from the request's arrival to the
 *     answer's last byte, streaming answers included (then 504 when nothing was sent yet, else the
 *     answer is cut and the site stream reset); {@link Duration#ZERO}: no limit. An upgraded
 *     connection is bound by it only until the site's 101
 */
public record ProxyConfig(Duration dialTimeout, Duration firstByteTimeout, Duration idleTimeout,
        long maxRequestBodyBytes, int maxStreamsPerOrigin, boolean allowPrivateAddresses, int maxIdleStreamsPerSite,
        Duration upgradeIdleTimeout, Duration dnsTimeout, Duration requestTimeout) {
    /** Default of {@link #dnsTimeout()} (the {@code dns-timeout} key's). */
    public static final Duration DEFAULT_DNS_TIMEOUT = Duration.ofSeconds(3);
    /** {@link #requestTimeout} unless configured: {@code request-timeout}'s default. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofHours(1);

    /** With DNS lookups cut at {@link #DEFAULT_DNS_TIMEOUT} and {@link #DEFAULT_REQUEST_TIMEOUT}. */
    public ProxyConfig(Duration dialTimeout, Duration firstByteTimeout, Duration idleTimeout, long maxRequestBodyBytes,
            int maxStreamsPerOrigin, boolean allowPrivateAddresses, int maxIdleStreamsPerSite,
            Duration upgradeIdleTimeout) {
        this(dialTimeout, firstByteTimeout, idleTimeout, maxRequestBodyBytes, maxStreamsPerOrigin, allowPrivateAddresses,
                maxIdleStreamsPerSite, upgradeIdleTimeout, DEFAULT_DNS_TIMEOUT, DEFAULT_REQUEST_TIMEOUT);
    }

    /** Upgraded connections idle out after {@link io.ipnslink.filter.upgrade.UpgradeSettings#DEFAULT_IDLE_TIMEOUT}. */
    public ProxyConfig(Duration dialTimeout, Duration firstByteTimeout, Duration idleTimeout, long maxRequestBodyBytes,
            int maxStreamsPerOrigin, boolean allowPrivateAddresses, int maxIdleStreamsPerSite) {
        this(dialTimeout, firstByteTimeout, idleTimeout, maxRequestBodyBytes, maxStreamsPerOrigin, allowPrivateAddresses,
                maxIdleStreamsPerSite, io.ipnslink.filter.upgrade.UpgradeSettings.DEFAULT_IDLE_TIMEOUT);
    }

    public ProxyConfig {
        Objects.requireNonNull(upgradeIdleTimeout, "upgradeIdleTimeout");
        Objects.requireNonNull(dnsTimeout, "dnsTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (requestTimeout.isNegative()) {
            throw new IllegalArgumentException("requestTimeout must be >= 0");
        }
        if (maxIdleStreamsPerSite < 0) {
            throw new IllegalArgumentException("maxIdleStreamsPerSite must be >= 0");
        }
        Objects.requireNonNull(dialTimeout, "dialTimeout");
        Objects.requireNonNull(firstByteTimeout, "firstByteTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (maxRequestBodyBytes < 0) {
            throw new IllegalArgumentException("maxRequestBodyBytes must be >= 0");
        }
        if (maxStreamsPerOrigin < 1) {
            throw new IllegalArgumentException("maxStreamsPerOrigin must be >= 1");
        }
    }
}
