package io.ipnslink.filter.resolve;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Asynchronous DNS TXT lookup; injectable so tests never touch the network. */
@FunctionalInterface
public interface TxtLookup {

    /** One TXT record: its strings joined, and its TTL. */
    record Txt(String text, Duration ttl) {}

    /**
     * The TXT records of {@code fqdn}; an empty list when the name or the record set does not
     * exist. Fails (exceptionally) on timeout or server failure.
     */
    CompletableFuture<List<Txt>> lookup(String fqdn);
}
