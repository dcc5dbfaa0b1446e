package io.ipnslink.filter.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.Ed25519PrivKey;
import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.filter.errors.ResolveException;
import io.ipnslink.filter.testing.MutableClock;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.routing.client.RoutingException;
import io.ipnslink.routing.store.RecordStore;
import io.ipnslink.routing.store.StoredRecord;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A hostile visitor floods the resolver with random names (issue #15): the names people visit stay
 * cached, and a known name still resolves while new names fill the workers and their queue.
 */
class NameResolverFloodTest {
    static final List<URI> ENDPOINTS = List.of(URI.create("http://127.0.0.1:1"));
    static final int FLOOD = 12_000;

    final MutableClock clock = MutableClock.startingNow();
    final Sites.Site popular = Sites.Site.generate();
    final Map<IpnsName, AtomicInteger> fetches = new ConcurrentHashMap<>();
    /** What the routing endpoints answer for the popular name (a record or a RoutingException). */
    final AtomicReference<Object> popularAnswer = new AtomicReference<>();
    /** Lookups of other names wait for this (count down to let them go). */
    volatile CountDownLatch floodGate = new CountDownLatch(0);
    NameResolver resolver;

    /** A store that keeps nothing: every answer comes from the routing endpoints (the fetcher). */
    static final RecordStore EMPTY_STORE = new RecordStore() {
        @Override
        public Optional<StoredRecord> get(IpnsName name) {
            return Optional.empty();
        }

        @Override
        public boolean put(IpnsName name, IpnsRecord record) {
            return false;
        }

        @Override
        public List<IpnsName> names(int limit) {
            return List.of();
        }

        @Override
        public long count() {
            return 0;
        }

        @Override
        public int deleteExpired() {
            return 0;
        }

        @Override
        public void close() {
        }
    };

    NameResolver resolver(int maxEntries) {
        resolver = new NameResolver(EMPTY_STORE, (endpoints, name, timeout) -> {
            fetches.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
            if (name.equals(popular.name())) {
                Object a = popularAnswer.get();
                if (a instanceof RoutingException e) {
                    throw e;
                }
                return Optional.of((IpnsRecord) a);
            }
            try {
                floodGate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Optional.empty(); // a random name: not found (and cached as such)
        }, ENDPOINTS, Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofHours(1), maxEntries, clock);
        return resolver;
    }

    @AfterEach
    void tearDown() {
        floodGate.countDown();
        if (resolver != null) {
            resolver.close();
        }
    }

    static IpnsName randomName() {
        return IpnsName.of(Ed25519PrivKey.generate().peerId());
    }

    int fetchesOf(IpnsName n) {
        AtomicInteger c = fetches.get(n);
        return c == null ? 0 : c.get();
    }

    @Test
    void aFloodOfRandomNamesDoesNotEvictAPopularName() throws Exception {
        NameResolver r = resolver(1000);
        popularAnswer.set(Sites.record(popular, Sites.deadManifest(null, false), 1, Duration.ofHours(2), Duration.ofHours(1)));
        for (int i = 0; i < 20; i++) {
            r.resolve(popular.name()).join(); // people visit it
        }
        List<CompletableFuture<ResolvedName>> batch = new ArrayList<>();
        for (int i = 0; i < FLOOD; i++) {
            batch.add(r.resolve(randomName()));
            if (batch.size() == 500) {
                for (CompletableFuture<ResolvedName> f : batch) {
                    assertThrows(CompletionException.class, f::join); // not found
                }
                batch.clear();
                r.resolve(popular.name()).join(); // and keep visiting it during the flood
            }
        }
        for (CompletableFuture<ResolvedName> f : batch) {
            assertThrows(CompletionException.class, f::join);
        }
        assertEquals(1, r.resolve(popular.name()).join().record().sequence());
        assertEquals(1, fetchesOf(popular.name()), "the popular name was looked up once: it stayed cached");
        assertTrue(r.cachedNames() <= 1000, "the cache stays bounded: " + r.cachedNames());
    }

    @Test
    void namesThatExistNowhereLeaveTheCacheOnceTheirNegativeTtlIsOver() throws Exception {
        NameResolver r = resolver(10_000);
        popularAnswer.set(Sites.record(popular, Sites.deadManifest(null, false), 1, Duration.ofHours(2), Duration.ofHours(1)));
        r.resolve(popular.name()).join();
        for (int i = 0; i < 2_000; i++) {
            assertThrows(CompletionException.class, () -> r.resolve(randomName()).join());
        }
        assertEquals(2_001, r.cachedNames(), "each answer is remembered for its time");
        clock.advance(Duration.ofSeconds(11)); // past the negative TTL (10 s), within the record's TTL (1 h)
        assertEquals(1, r.cachedNames(), "the not-found answers are gone, not held until the size bound pushes them out");
        assertEquals(1, r.resolve(popular.name()).join().record().sequence());
        assertEquals(1, fetchesOf(popular.name()), "the record stayed cached");
    }

    @Test
    void aKnownNameStillResolvesWhileAFloodOfNewNamesFillsTheWorkersAndTheirQueue() throws Exception {
        NameResolver r = resolver(10_000);
        popularAnswer.set(Sites.record(popular, Sites.deadManifest(null, false), 1, Duration.ofHours(2), Duration.ofMinutes(1)));
        r.resolve(popular.name()).join();
        floodGate = new CountDownLatch(1); // new names now hang in the routing lookup
        List<CompletableFuture<ResolvedName>> flood = new ArrayList<>();
        int refused = 0;
        for (int i = 0; i < NameResolver.WORKER_THREADS + NameResolver.MAX_QUEUED + 100; i++) {
            CompletableFuture<ResolvedName> f = r.resolve(randomName());
            if (f.isDone()) {
                ResolveException e = assertInstanceOf(ResolveException.class,
                        assertThrows(CompletionException.class, f::join).getCause());
                assertTrue(e.getMessage().contains("too many names"), e.getMessage());
                refused++;
            } else {
                flood.add(f);
            }
        }
        assertTrue(refused >= 100, "new names beyond the queue are refused at once: " + refused);
        // the popular name's record expires: it is refreshed on its own lane and gets its new record
        clock.advance(Duration.ofMinutes(2));
        popularAnswer.set(Sites.record(popular, Sites.deadManifest(null, false), 2, Duration.ofHours(2), Duration.ofMinutes(1)));
        assertEquals(2, r.resolve(popular.name()).get(10, TimeUnit.SECONDS).record().sequence());
        assertEquals(2, fetchesOf(popular.name()));
        assertFalse(flood.get(0).isDone(), "the flood is still under way");
        floodGate.countDown();
        for (CompletableFuture<ResolvedName> f : flood) {
            assertThrows(java.util.concurrent.ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS)); // not found
        }
    }

    @Test
    void aKnownNameWhoseRefreshFailsIsServedFromItsLastRecordUntilItsValidity() throws Exception {
        NameResolver r = resolver(100);
        popularAnswer.set(Sites.record(popular, Sites.deadManifest(null, false), 3, Duration.ofMinutes(30), Duration.ofMinutes(1)));
        r.resolve(popular.name()).join();
        popularAnswer.set(new RoutingException(RoutingException.Kind.NETWORK, ENDPOINTS.get(0), "connection refused", null));
        clock.advance(Duration.ofMinutes(2));
        assertEquals(3, r.resolve(popular.name()).get(10, TimeUnit.SECONDS).record().sequence(), "the last record");
        assertEquals(3, r.resolve(popular.name()).join().record().sequence());
        assertEquals(2, fetchesOf(popular.name()), "a failed refresh is not repeated at once");
        clock.advance(Duration.ofMinutes(30));
        CompletionException e = assertThrows(CompletionException.class, () -> r.resolve(popular.name()).join());
        assertEquals(ResolveException.Kind.ROUTING_FAILED, assertInstanceOf(ResolveException.class, e.getCause()).kind(),
                "past its validity the record is never served");
    }
}
