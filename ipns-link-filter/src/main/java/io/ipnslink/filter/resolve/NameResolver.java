package io.ipnslink.filter.resolve;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.ipns.IpnsRecordException;
import io.ipnslink.core.ipns.IpnsRecords;
import io.ipnslink.filter.errors.ResolveException;
import io.ipnslink.routing.client.RoutingException;
import io.ipnslink.routing.store.RecordStore;
import io.ipnslink.routing.store.RecordStoreException;
import io.ipnslink.routing.store.StoredRecord;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves IPNS names to their best valid record: the own record store, then the configured
 * routing v1 endpoints (in parallel); the best of all answers wins and is stored when it is better
 * than the stored one.
 *
 * <ul>
 *   <li>Found records are cached for their TTL, at most {@code maxCacheTtl}, never past their
 *       Validity (EOL); a record is checked against the clock again on every cache hit.</li>
 *   <li>"Not found" and "invalid record" are cached for {@code negativeTtl}; routing failures are
 *       not cached.</li>
 *   <li>Concurrent resolutions of one name share one lookup.</li>
 *   <li>Blocking work (JDBC, HTTP) runs on the resolver's own small pool, never on the caller.</li>
 * </ul>
 */
public final class NameResolver implements AutoCloseable {
    /** Threads doing store and routing lookups. */
    public static final int WORKER_THREADS = 8;
    /** Lookups waiting for a worker before new ones are refused. */
    public static final int MAX_QUEUED = 1024;

    private static final Logger LOG = LoggerFactory.getLogger(NameResolver.class);

    /** A cached outcome: a record, or a failure; valid until {@code until}. */
    private record Entry(ResolvedName found, ResolveException failure, Instant until) {}

    private final RecordStore store;
    private final RecordFetcher fetcher;
    private final List<URI> endpoints;
    private final Duration timeout;
    private final Duration negativeTtl;
    private final Duration maxCacheTtl;
    private final int maxEntries;
    private final Clock clock;
    private final ThreadPoolExecutor workers;
    private final Map<IpnsName, Entry> cache = new ConcurrentHashMap<>();
    private final Map<IpnsName, CompletableFuture<ResolvedName>> inFlight = new ConcurrentHashMap<>();

    public NameResolver(RecordStore store, RecordFetcher fetcher, List<URI> endpoints, Duration timeout,
            Duration negativeTtl, Duration maxCacheTtl, int maxEntries, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
        this.endpoints = List.copyOf(endpoints);
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.negativeTtl = Objects.requireNonNull(negativeTtl, "negativeTtl");
        this.maxCacheTtl = Objects.requireNonNull(maxCacheTtl, "maxCacheTtl");
        this.maxEntries = maxEntries;
        this.clock = Objects.requireNonNull(clock, "clock");
        AtomicInteger n = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(WORKER_THREADS, WORKER_THREADS, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(MAX_QUEUED), r -> {
                    Thread t = new Thread(r, "ipnslink-resolve-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.workers.allowCoreThreadTimeOut(true);
    }

    /**
     * The name's best valid record. Completes at once (already done) on a cache hit; else on a
     * worker thread. Fails with {@link ResolveException}.
     */
    public CompletableFuture<ResolvedName> resolve(IpnsName name) {
        Instant now = clock.instant();
        Entry e = cache.get(name);
        if (e != null) {
            if (now.isBefore(e.until) && (e.found == null || e.found.record().validity().isAfter(now))) {
                return e.found != null ? CompletableFuture.completedFuture(e.found) : CompletableFuture.failedFuture(e.failure);
            }
            cache.remove(name, e);
        }
        CompletableFuture<ResolvedName> mine = new CompletableFuture<>();
        CompletableFuture<ResolvedName> existing = inFlight.putIfAbsent(name, mine);
        if (existing != null) {
            return existing;
        }
        try {
            workers.execute(() -> complete(name, mine));
        } catch (RejectedExecutionException ex) {
            inFlight.remove(name, mine);
            mine.completeExceptionally(new ResolveException(ResolveException.Kind.ROUTING_FAILED, name,
                    "the gateway is resolving too many names at once; try again", ex));
        }
        return mine;
    }

    /** Forgets what is cached for {@code name} (called when a new record is stored). */
    public void invalidate(IpnsName name) {
        cache.remove(name);
    }

    private void complete(IpnsName name, CompletableFuture<ResolvedName> future) {
        Entry entry;
        try {
            ResolvedName found = lookup(name);
            Instant now = clock.instant();
            Duration ttl = found.record().ttl();
            if (ttl.compareTo(maxCacheTtl) > 0) {
                ttl = maxCacheTtl;
            }
            Instant until = now.plus(ttl);
            if (found.record().validity().isBefore(until)) {
                until = found.record().validity();
            }
            entry = new Entry(found, null, until);
        } catch (ResolveException e) {
            Instant until = e.kind() == ResolveException.Kind.ROUTING_FAILED ? clock.instant()
                    : clock.instant().plus(negativeTtl);
            entry = new Entry(null, e, until);
        } catch (RuntimeException e) {
            LOG.warn("resolve {}: internal error", name, e);
            entry = new Entry(null, new ResolveException(ResolveException.Kind.ROUTING_FAILED, name,
                    "internal error while resolving " + name, e), clock.instant());
        }
        if (entry.until.isAfter(clock.instant())) {
            if (cache.size() >= maxEntries) {
                cache.clear();
            }
            cache.put(name, entry);
        }
        inFlight.remove(name, future);
        if (entry.found != null) {
            future.complete(entry.found);
        } else {
            future.completeExceptionally(entry.failure);
        }
    }

    private ResolvedName lookup(IpnsName name) throws ResolveException {
        IpnsRecord stored = null;
        try {
            stored = store.get(name).map(StoredRecord::record)
                    .filter(r -> r.validity().isAfter(clock.instant())).orElse(null);
        } catch (RecordStoreException e) {
            LOG.warn("resolve {}: record store failed: {}", name, e.getMessage());
        }
        IpnsRecord fetched = null;
        RoutingException routingError = null;
        if (!endpoints.isEmpty()) {
            try {
                fetched = fetcher.resolve(endpoints, name, timeout).orElse(null);
            } catch (RoutingException e) {
                routingError = e;
                LOG.debug("resolve {}: every routing endpoint failed: {}", name, e.getMessage());
            }
        }
        if (fetched != null && (stored == null || IpnsRecords.compare(fetched, stored) > 0)) {
            try {
                store.put(name, fetched);
            } catch (IpnsRecordException | RecordStoreException e) {
                LOG.debug("resolve {}: not stored: {}", name, e.getMessage());
            }
            return ResolvedName.of(name, fetched, "routing");
        }
        if (stored != null) {
            return ResolvedName.of(name, stored, "store");
        }
        if (routingError != null) {
            if (routingError.kind() == RoutingException.Kind.INVALID_RECORD) {
                throw new ResolveException(ResolveException.Kind.INVALID_RECORD, name,
                        "invalid record for " + name + ": " + routingError.getMessage(), routingError);
            }
            throw new ResolveException(ResolveException.Kind.ROUTING_FAILED, name,
                    "no routing endpoint answered for " + name + ": " + routingError.getMessage(), routingError);
        }
        throw new ResolveException(ResolveException.Kind.NOT_FOUND, name, "no record for " + name, null);
    }

    @Override
    public void close() {
        workers.shutdownNow();
    }
}
