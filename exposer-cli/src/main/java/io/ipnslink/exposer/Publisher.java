package io.ipnslink.exposer;

import io.ipnslink.core.crypto.PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.manifest.Manifest;
import io.ipnslink.core.manifest.ManifestRecords;
import io.ipnslink.p2p.ipns.IpnsP2pNode;
import io.ipnslink.routing.client.RoutingException;
import io.ipnslink.routing.client.RoutingV1Client;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes manifest records to routing v1 endpoints (PUT {@code /routing/v1/ipns/{name}}).
 *
 * <p>Sequence numbers never go backwards: the next one is above the number saved in the state
 * directory, above the best record the routers hold right now (read before every publish, so a
 * lost state directory is recovered from), and at least the current time in milliseconds since
 * the epoch (so even a lost state directory with unreachable routers moves forward as long as the
 * clock does). Each router gets up to {@link Settings#attempts()} tries with exponential backoff;
 * a 4xx answer other than 408/429 is final (the router refused the record, its reason is kept).
 */
public final class Publisher {
    private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);

    /**
     * @param lifetime record validity (EOL = now + lifetime)
     * @param ttl cache hint for resolvers
     * @param republishInterval how often a running exposer republishes unchanged manifests
     * @param retryInitial first backoff between attempts at one router
     * @param retryMax longest backoff
     * @param attempts tries per router in one publish
     * @param resolveTimeout how long reading the routers' current record may take
     */
    public record Settings(Duration lifetime, Duration ttl, Duration republishInterval, Duration retryInitial,
            Duration retryMax, int attempts, Duration resolveTimeout) {
        /** Records live 24 h, TTL 1 min, republished every 4 h (20 h before EOL). */
        public static final Duration DEFAULT_LIFETIME = Duration.ofHours(24);
        public static final Duration DEFAULT_TTL = Duration.ofMinutes(1);
        public static final Duration DEFAULT_REPUBLISH = Duration.ofHours(4);

        public Settings {
            Objects.requireNonNull(lifetime, "lifetime");
            Objects.requireNonNull(ttl, "ttl");
            if (lifetime.isNegative() || lifetime.isZero()) {
                throw new IllegalArgumentException("lifetime must be positive");
            }
            if (republishInterval.compareTo(lifetime.dividedBy(2)) > 0) {
                throw new IllegalArgumentException("republish interval " + republishInterval
                        + " must be at most half the lifetime " + lifetime + " (republish well before EOL)");
            }
            if (attempts < 1) {
                throw new IllegalArgumentException("attempts must be at least 1");
            }
        }

        public static Settings defaults() {
            return new Settings(DEFAULT_LIFETIME, DEFAULT_TTL, DEFAULT_REPUBLISH, Duration.ofSeconds(1),
                    Duration.ofMinutes(5), 4, Duration.ofSeconds(10));
        }

        public Settings withLifetimeAndTtl(Duration l, Duration t) {
            Duration republish = republishInterval.compareTo(l.dividedBy(2)) > 0 ? l.dividedBy(4) : republishInterval;
            return new Settings(l, t, republish, retryInitial, retryMax, attempts, resolveTimeout);
        }

        public Settings withRetries(int n, Duration initial) {
            return new Settings(lifetime, ttl, republishInterval, initial, retryMax, n, resolveTimeout);
        }
    }

    /** The outcome at one router. {@code status} is the HTTP status when the router answered with an error. */
    public record RouterResult(URI router, boolean ok, int status, String message, int attempts) {}

    /** The outcome of one publish. */
    public record Result(IpnsName name, long sequence, Instant validity, boolean offline, Instant at,
            List<RouterResult> routers, IpnsP2pNode.PublishOutcome p2p) {
        public Result(IpnsName name, long sequence, Instant validity, boolean offline, Instant at,
                List<RouterResult> routers) {
            this(name, sequence, validity, offline, at, routers, null);
        }

        /** Every router accepted it (and, with no router, some pubsub or DHT peer took it). */
        public boolean allOk() {
            return routers.stream().allMatch(RouterResult::ok) && (!routers.isEmpty() || p2p == null
                    || p2p.pubsubPeers() > 0 || p2p.dhtPeers() > 0);
        }

        /** Some router accepted the record, or some pubsub or DHT peer took it. */
        public boolean anyOk() {
            return routers.stream().anyMatch(RouterResult::ok)
                    || (p2p != null && (p2p.pubsubPeers() > 0 || p2p.dhtPeers() > 0));
        }
    }

    private final RoutingV1Client client;
    private final SequenceStore sequences;
    private final Settings settings;
    private final Clock clock;
    private volatile IpnsP2pNode p2p;

    public Publisher(RoutingV1Client client, SequenceStore sequences, Settings settings, Clock clock) {
        this.client = Objects.requireNonNull(client, "client");
        this.sequences = Objects.requireNonNull(sequences, "sequences");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public Settings settings() {
        return settings;
    }

    /** Also publishes over pubsub and the DHT of {@code node} (null: routing v1 only). */
    public Publisher withP2p(IpnsP2pNode node) {
        this.p2p = node;
        return this;
    }

    public IpnsP2pNode p2p() {
        return p2p;
    }

    /**
     * Signs a record for {@code manifest} with the next sequence and PUTs it to every router (in
     * parallel, each with retries). Blocks until every router succeeded or ran out of attempts.
     *
     * @throws ExposerException when there is no router or the record cannot be made
     */
    public Result publish(PrivKey siteKey, Manifest manifest, List<URI> routers) {
        return publishRecord(siteKey, routers, true, manifest.offline(),
                sequence -> ManifestRecords.create(siteKey, manifest, sequence, settings.lifetime(), settings.ttl(), clock));
    }

    /**
     * Signs a plain IPNS record (no manifest) with value {@code valuePath} (e.g. {@code /ipfs/CID}),
     * this publisher's lifetime and the TTL given, and publishes it like {@link #publish}: a live
     * stream's record. {@code readRouters} false skips reading the routers' current sequence (the
     * saved one and the clock floor suffice once this process has published the name).
     */
    public Result publishPath(PrivKey key, String valuePath, Duration ttl, List<URI> routers, boolean readRouters) {
        Objects.requireNonNull(valuePath, "valuePath");
        Objects.requireNonNull(ttl, "ttl");
        return publishRecord(key, routers, readRouters, false, sequence -> IpnsRecord.builder(key).value(valuePath)
                .sequence(sequence).lifetime(settings.lifetime()).ttl(ttl).clock(clock).build());
    }

    private Result publishRecord(PrivKey key, List<URI> routers, boolean readRouters, boolean offline,
            java.util.function.LongFunction<IpnsRecord> make) {
        IpnsP2pNode node = p2p;
        if (routers.isEmpty() && node == null) {
            throw new ExposerException("no router to publish to (give --publish-to URL or --bootstrap MULTIADDR)");
        }
        IpnsName name = IpnsName.of(key.peerId());
        OptionalLong current = routers.isEmpty() || !readRouters ? OptionalLong.empty() : currentSequence(name, routers);
        long floor = Math.max(0, clock.millis());
        long sequence = sequences.next(name, current, floor);
        IpnsRecord record = make.apply(sequence);
        LOG.info("publishing {} sequence {} ({} bytes, offline={}) to {} router(s)", name,
                Long.toUnsignedString(sequence), record.size(), offline, routers.size());
        CompletableFuture<IpnsP2pNode.PublishOutcome> overP2p = node == null ? CompletableFuture.completedFuture(null)
                : node.publish(name, record, settings.resolveTimeout().multipliedBy(3));
        List<CompletableFuture<RouterResult>> futures = new ArrayList<>();
        for (URI r : routers) {
            futures.add(CompletableFuture.supplyAsync(() -> putWithRetries(r, name, record.raw())));
        }
        List<RouterResult> results = new ArrayList<>();
        for (CompletableFuture<RouterResult> f : futures) {
            results.add(f.join());
        }
        IpnsP2pNode.PublishOutcome p = overP2p.join();
        if (p != null) {
            LOG.info("{} sequence {}: pubsub peers {}, DHT peers that stored it {}", name, Long.toUnsignedString(sequence),
                    p.pubsubPeers(), p.dhtPeers());
        }
        return new Result(name, sequence, record.validity(), offline, clock.instant(), List.copyOf(results), p);
    }

    /** The best sequence the routers hold for {@code name}; empty when none has a record or none answered. */
    OptionalLong currentSequence(IpnsName name, List<URI> routers) {
        try {
            Optional<IpnsRecord> best = client.resolve(routers, name, settings.resolveTimeout());
            return best.map(r -> OptionalLong.of(r.sequence())).orElse(OptionalLong.empty());
        } catch (RoutingException e) {
            LOG.info("could not read the current record of {} from the routers ({}); using the saved sequence",
                    name, e.getMessage());
            return OptionalLong.empty();
        }
    }

    private RouterResult putWithRetries(URI router, IpnsName name, byte[] record) {
        Duration backoff = settings.retryInitial();
        RoutingException last = null;
        for (int attempt = 1; attempt <= settings.attempts(); attempt++) {
            try {
                client.putIpns(router, name, record);
                LOG.info("{}: stored record of {}", router, name);
                return new RouterResult(router, true, 200, "stored", attempt);
            } catch (RoutingException e) {
                last = e;
                boolean permanent = e.kind() == RoutingException.Kind.REJECTED && e.status() >= 400 && e.status() < 500
                        && e.status() != 408 && e.status() != 429;
                LOG.info("{}: publishing {} failed (attempt {}/{}): {}", router, name, attempt, settings.attempts(),
                        e.getMessage());
                if (permanent) {
                    return new RouterResult(router, false, e.status(), "router refused the record: " + reason(e), attempt);
                }
                if (attempt < settings.attempts()) {
                    try {
                        Thread.sleep(backoff.toMillis());
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        return new RouterResult(router, false, 0, "interrupted", attempt);
                    }
                    backoff = backoff.multipliedBy(2);
                    if (backoff.compareTo(settings.retryMax()) > 0) {
                        backoff = settings.retryMax();
                    }
                }
            }
        }
        String msg = last.kind() == RoutingException.Kind.REJECTED ? "router refused the record: " + reason(last)
                : "router unreachable (" + rootMessage(last) + ")";
        LOG.warn("{}: publishing {} failed after {} attempts: {}", router, name, settings.attempts(), msg);
        return new RouterResult(router, false, last.status(), msg, settings.attempts());
    }

    /** The innermost cause's message: "Connection refused", "Read timed out"... */
    static String rootMessage(RoutingException e) {
        if (e.kind() == RoutingException.Kind.TIMEOUT) {
            return "timed out";
        }
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? reason(e) : t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }

    /** The exception message without the endpoint prefix RoutingException adds. */
    static String reason(RoutingException e) {
        String m = String.valueOf(e.getMessage());
        String prefix = e.endpoint() + ": ";
        return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
    }
}
