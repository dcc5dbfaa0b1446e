package io.ipnslink.filter.resolve;

import com.github.benmanes.caffeine.cache.Cache;
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
 *   <li>Blocking work (JDBC, HTTP) runs on the resolver's own small pools, never on the caller.</li>
 *   <li>The cache holds at most {@code maxEntries} names and keeps the ones asked for often
 *       (Caffeine's W-TinyLFU: a flood of names asked once does not push out a popular one).</li>
 *   <li>Two lanes, so a flood of new names (anyone can ask for random ones) cannot starve names
 *       already known: a name whose cached record has expired is refreshed on its own
 *       {@value #REFRESH_THREADS} threads ({@value #MAX_QUEUED_REFRESHES} waiting at most), new names
 *       on the {@value #WORKER_THREADS} workers ({@value #MAX_QUEUED} waiting at most; beyond, refused
 *       at once). When a known name cannot be refreshed (its lane is full, or every routing endpoint
 *       failed), its last record is served while that record's own Validity (EOL) lasts.</li>
 * </ul>
 */
public final class NameResolver implements AutoCloseable {
    /** Threads doing store and routing lookups of names not in the cache. */
    public static final int WORKER_THREADS = 8;
    /** Lookups of new names waiting for a worker before more are refused. */
    public static final int MAX_QUEUED = 1024;
    /** Threads refreshing names whose cached record expired. */
    public static final int REFRESH_THREADS = 2;
    /** Refreshes waiting for a thread; beyond, the cached record is served as it is. */
    public static final int MAX_QUEUED_REFRESHES = 256;

    private static final Logger LOG = LoggerFactory.getLogger(NameResolver.class);

    /** A cached outcome: a record, or a failure; valid until {@code until}. */
    private record Entry(ResolvedName found, ResolveException failure, Instant until) {}

    private final RecordStore store;
    private final RecordFetcher fetcher;
    private final List<URI> endpoints;
    private final Duration timeout;
    private final Duration negativeTtl;
    private final Duration maxCacheTtl;
    private final Clock clock;
    private final ThreadPoolExecutor workers;
    private final ThreadPoolExecutor refreshers;
    private final Cache<IpnsName, Entry> cache;
    private final Map<IpnsName, CompletableFuture<ResolvedName>> inFlight = new ConcurrentHashMap<>();
    /** Lookups answered from the cache / not (metrics: the cache's hit ratio). */
    private final java.util.concurrent.atomic.LongAdder hits = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder misses = new java.util.concurrent.atomic.LongAdder();

    public NameResolver(RecordStore store, RecordFetcher fetcher, List<URI> endpoints, Duration timeout,
            Duration negativeTtl, Duration maxCacheTtl, int maxEntries, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
        this.endpoints = List.copyOf(endpoints);
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.negativeTtl = Objects.requireNonNull(negativeTtl, "negativeTtl");
        this.maxCacheTtl = Objects.requireNonNull(maxCacheTtl, "maxCacheTtl");
        this.clock = Objects.requireNonNull(clock, "clock");
        // an entry goes at its own time: a failure after the negative TTL, a record at its EOL (a
        // known name whose refresh fails keeps its last record while that is valid)
        this.cache = ExpiringCache.create(maxEntries, clock, e -> e.found != null ? e.found.record().validity() : e.until);
        this.workers = pool(WORKER_THREADS, MAX_QUEUED, "ipnslink-resolve-");
        this.refreshers = pool(REFRESH_THREADS, MAX_QUEUED_REFRESHES, "ipnslink-refresh-");
    }

    private static ThreadPoolExecutor pool(int threads, int queued, String name) {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(queued), r -> {
                    Thread t = new Thread(r, name + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /**
     * The name's best valid record. Completes at once (already done) on a cache hit; else on a
     * worker thread. Fails with {@link ResolveException}.
     */
    public CompletableFuture<ResolvedName> resolve(IpnsName name) {
        Instant now = clock.instant();
        Entry e = cache.getIfPresent(name);
        ResolvedName stale = null;
        if (e != null) {
            if (now.isBefore(e.until) && (e.found == null || e.found.record().validity().isAfter(now))) {
                hits.increment();
                return e.found != null ? CompletableFuture.completedFuture(e.found) : CompletableFuture.failedFuture(e.failure);
            }
            if (e.found != null && e.found.record().validity().isAfter(now)) {
                stale = e.found; // known: refreshed on its own lane, served if the refresh cannot be done
            } else {
                cache.asMap().remove(name, e);
            }
        }
        misses.increment();
        CompletableFuture<ResolvedName> mine = new CompletableFuture<>();
        CompletableFuture<ResolvedName> existing = inFlight.putIfAbsent(name, mine);
        if (existing != null) {
            return existing;
        }
        ResolvedName last = stale;
        try {
            (last != null ? refreshers : workers).execute(() -> complete(name, mine, last));
        } catch (RejectedExecutionException ex) {
            inFlight.remove(name, mine);
            if (last != null) {
                LOG.debug("resolve {}: refresh lane full, serving the cached record", name);
                mine.complete(last);
            } else {
                mine.completeExceptionally(new ResolveException(ResolveException.Kind.ROUTING_FAILED, name,
                        "the gateway is resolving too many names at once; try again", ex));
            }
        }
        return mine;
    }

    /** Forgets what is cached for {@code name} (called when a new record is stored). */
    public void invalidate(IpnsName name) {
        cache.invalidate(name);
    }

    /** Lookups answered from the cache so far (a cached record or a cached failure). */
    public long cacheHits() {
        return hits.sum();
    }

    /** Lookups the cache could not answer so far (looked up in the store and the routing endpoints). */
    public long cacheMisses() {
        return misses.sum();
    }

    /**
     * Forgets every cached name (the cluster's notices were interrupted: any entry may be stale).
     */
    public void invalidateAll() {
        cache.invalidateAll();
    }

    /** Names cached now (after pending evictions). */
    public long cachedNames() {
        cache.cleanUp();
        return cache.estimatedSize();
    }

    /**
     * Looks {@code name} up and completes {@code future}; {@code stale} (the expired record of a
     * known name, or null) is served instead of a routing failure and cached again for the
     * negative TTL, so that a failing refresh is not repeated on every request.
     */
    private void complete(IpnsName name, CompletableFuture<ResolvedName> future, ResolvedName stale) {
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
        if (entry.found == null && stale != null && entry.failure.kind() == ResolveException.Kind.ROUTING_FAILED) {
            LOG.debug("resolve {}: refresh failed ({}), serving the cached record", name, entry.failure.getMessage());
            Instant until = clock.instant().plus(negativeTtl);
            entry = new Entry(stale, null, stale.record().validity().isBefore(until) ? stale.record().validity() : until);
        }
        if (entry.until.isAfter(clock.instant())) {
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
        if (!endpoints.isEmpty() || !fetcher.needsEndpoints()) {
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
        refreshers.shutdownNow();
    }
}
