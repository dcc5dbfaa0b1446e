package io.ipnslink.filter.resolve;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.routing.client.RoutingException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Asks routing endpoints for a name's record: {@code RoutingV1Client::resolve} (all endpoints in
 * parallel, best valid record, throws only when every endpoint failed).
 */
@FunctionalInterface
public interface RecordFetcher {
    Optional<IpnsRecord> resolve(List<URI> endpoints, IpnsName name, Duration timeout) throws RoutingException;

    /** False when the fetcher has routes of its own (pubsub, DHT): it is asked even with no endpoint. */
    default boolean needsEndpoints() {
        return true;
    }
}
