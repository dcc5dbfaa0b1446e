package io.ipnslink.filter.resolve;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Asynchronous A and AAAA lookup of a host name: no thread waits on the DNS, and an implementation
 * gives up by itself after its timeout. A seam, so tests never touch the network.
 */
@FunctionalInterface
public interface AddressLookup {

    /**
     * The IPv4 and IPv6 addresses of {@code host}; an empty list when the name or its records do
     * not exist. Fails (exceptionally) on timeout or server failure.
     */
    CompletableFuture<List<InetAddress>> lookup(String host);
}
