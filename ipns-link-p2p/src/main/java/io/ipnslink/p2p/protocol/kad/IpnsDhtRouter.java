package io.ipnslink.p2p.protocol.kad;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.ipns.IpnsValidator;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Publishing and resolving IPNS names through a {@link KadDht} (key {@code /ipns/} + the binary
 * peer id of the name). The exposer publishes with a client-mode DHT; the gateway resolves with
 * either mode and races this against its other routers.
 */
public final class IpnsDhtRouter {
    private final KadDht dht;
    private final Clock clock;

    public IpnsDhtRouter(KadDht dht) {
        this(dht, Clock.systemUTC());
    }

    public IpnsDhtRouter(KadDht dht, Clock clock) {
        this.dht = Objects.requireNonNull(dht, "dht");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public KadDht dht() {
        return dht;
    }

    /**
     * Puts {@code record} to the k peers closest to the name. Fails with
     * {@link io.ipnslink.core.ipns.IpnsRecordException} when the record is not valid for the name;
     * completes with how many peers accepted it (0: nobody, the caller should retry later).
     */
    public CompletableFuture<Integer> publish(IpnsName name, IpnsRecord record) {
        try {
            IpnsValidator.validate(name, record.raw(), clock.instant());
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        return dht.putValue(name.routingKey(), record.raw());
    }

    /**
     * The best valid record of {@code name} that the closest peers hold, looked up for at most
     * {@code timeout}; empty when none was found.
     */
    public CompletableFuture<Optional<IpnsRecord>> resolve(IpnsName name, Duration timeout) {
        return dht.getValue(name.routingKey(), timeout).thenApply(best -> best.flatMap(bytes -> {
            try {
                return Optional.of(IpnsValidator.validate(name, bytes, clock.instant()));
            } catch (IllegalArgumentException e) {
                return Optional.empty(); // expired in the meantime
            }
        }));
    }
}
