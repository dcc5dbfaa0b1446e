package io.ipnslink.filter.proxy;

import java.time.Duration;

/** TEMPORARY STUB of the contract; replaced by GATEWAY-PROXY's class from main. */
public record ProxyConfig(Duration dialTimeout, Duration firstByteTimeout, Duration idleTimeout,
        long maxRequestBodyBytes, int maxStreamsPerOrigin, boolean allowPrivateAddresses) {}
