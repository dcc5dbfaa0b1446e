package io.ipnslink.filter.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.ipns.IpnsRecords;
import io.ipnslink.filter.errors.ResolveException;
import io.ipnslink.filter.testing.MutableClock;
import io.ipnslink.filter.testing.Sites;
import io.ipnslink.routing.client.RoutingException;
import io.ipnslink.routing.store.JdbcRecordStore;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NameResolverTest {
    static final List<URI> ENDPOINTS = List.of(URI.create("http://127.0.0.1:1"));
    static final Duration NEGATIVE = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    final MutableClock clock = MutableClock.startingNow();
    final Sites.Site site = Sites.Site.generate();
    final AtomicInteger fetches = new AtomicInteger();
    final AtomicReference<Object> answer = new AtomicReference<>(Optional.empty());
    JdbcRecordStore store;
    NameResolver resolver;

    @BeforeEach
    void setUp() {
        store = JdbcRecordStore.h2File(dir, clock);
        resolver = new NameResolver(store, (endpoints, name, timeout) -> {
            fetches.incrementAndGet();
            Object a = answer.get();
            if (a instanceof RoutingException e) {
                throw e;
            }
            @SuppressWarnings("unchecked")
            Optional<IpnsRecord> r = (Optional<IpnsRecord>) a;
            return r;
        }, ENDPOINTS, Duration.ofSeconds(1), NEGATIVE, Duration.ofHours(1), 1000, clock);
    }

    @AfterEach
    void tearDown() {
        resolver.close();
        store.close();
    }

    IpnsRecord record(long seq, Duration lifetime, Duration ttl) {
        return Sites.record(site, Sites.deadManifest(null, false), seq, lifetime, ttl);
    }

    ResolveException failure(CompletableFuture<ResolvedName> f) {
        CompletionException e = assertThrows(CompletionException.class, f::join);
        return assertInstanceOf(ResolveException.class, e.getCause());
    }

    @Test
    void aStoredRecordIsFoundWithItsManifest() {
        store.put(site.name(), record(3, Duration.ofHours(1), Duration.ofMinutes(5)));
        ResolvedName r = resolver.resolve(site.name()).join();
        assertEquals(3, r.record().sequence());
        assertTrue(r.manifest().isPresent());
        assertEquals("store", r.source());
    }

    @Test
    void aBetterRecordFromTheRoutingEndpointsWinsAndIsStored() {
        store.put(site.name(), record(1, Duration.ofHours(1), Duration.ofMinutes(5)));
        answer.set(Optional.of(record(7, Duration.ofHours(1), Duration.ofMinutes(5))));
        ResolvedName r = resolver.resolve(site.name()).join();
        assertEquals(7, r.record().sequence());
        assertEquals("routing", r.source());
        assertEquals(7, store.get(site.name()).orElseThrow().record().sequence());
    }

    @Test
    void aWorseRecordFromTheEndpointsLosesToTheStoredOne() {
        store.put(site.name(), record(9, Duration.ofHours(1), Duration.ofMinutes(5)));
        answer.set(Optional.of(record(2, Duration.ofHours(1), Duration.ofMinutes(5))));
        assertEquals(9, resolver.resolve(site.name()).join().record().sequence());
    }

    @Test
    void recordsAreCachedForTheirTtlThenLookedUpAgain() {
        answer.set(Optional.of(record(1, Duration.ofHours(1), Duration.ofSeconds(30))));
        resolver.resolve(site.name()).join();
        resolver.resolve(site.name()).join();
        assertEquals(1, fetches.get());
        assertTrue(resolver.resolve(site.name()).isDone(), "a cache hit completes at once");
        clock.advance(Duration.ofSeconds(31));
        resolver.resolve(site.name()).join();
        assertEquals(2, fetches.get());
    }

    @Test
    void aLiveStreamsOneSecondTtlIsKeptOneSecondAndTheNewerRecordTakenAfterIt() {
        // a stream's record (docs/static.md): TTL 1 s, so a new root is served at most 1 s plus one lookup later
        answer.set(Optional.of(record(1, Duration.ofHours(1), Duration.ofSeconds(1))));
        assertEquals(1, resolver.resolve(site.name()).join().record().sequence());
        answer.set(Optional.of(record(2, Duration.ofHours(1), Duration.ofSeconds(1))));
        clock.advance(Duration.ofMillis(999));
        assertEquals(1, resolver.resolve(site.name()).join().record().sequence());
        assertEquals(1, fetches.get());
        clock.advance(Duration.ofMillis(2));
        assertEquals(2, resolver.resolve(site.name()).join().record().sequence(),
                "past its 1 s TTL the next request waits for the newer record, never gets the old one");
        assertEquals(2, fetches.get());
    }

    @Test
    void theCacheNeverOutlivesTheRecordsValidity() {
        IpnsRecord r = record(1, Duration.ofSeconds(20), Duration.ofHours(1));
        store.put(site.name(), r);
        assertEquals(1, resolver.resolve(site.name()).join().record().sequence());
        clock.advance(Duration.ofSeconds(21));
        ResolveException e = failure(resolver.resolve(site.name()));
        assertEquals(ResolveException.Kind.NOT_FOUND, e.kind());
    }

    @Test
    void notFoundIsCachedBrieflyAndInvalidateDropsIt() {
        assertEquals(ResolveException.Kind.NOT_FOUND, failure(resolver.resolve(site.name())).kind());
        assertEquals(ResolveException.Kind.NOT_FOUND, failure(resolver.resolve(site.name())).kind());
        assertEquals(1, fetches.get());
        clock.advance(NEGATIVE);
        failure(resolver.resolve(site.name()));
        assertEquals(2, fetches.get());
        store.put(site.name(), record(1, Duration.ofHours(1), Duration.ofMinutes(5)));
        assertEquals(ResolveException.Kind.NOT_FOUND, failure(resolver.resolve(site.name())).kind(), "still cached");
        resolver.invalidate(site.name());
        assertEquals(1, resolver.resolve(site.name()).join().record().sequence());
    }

    @Test
    void invalidRecordsFromEveryEndpointAre502MaterialWithTheReason() {
        answer.set(new RoutingException(RoutingException.Kind.INVALID_RECORD, ENDPOINTS.get(0),
                "record signature V2 does not verify", null));
        ResolveException e = failure(resolver.resolve(site.name()));
        assertEquals(ResolveException.Kind.INVALID_RECORD, e.kind());
        assertTrue(e.getMessage().contains("signature V2 does not verify"), e.getMessage());
    }

    @Test
    void routingFailuresAreNotCached() {
        answer.set(new RoutingException(RoutingException.Kind.NETWORK, ENDPOINTS.get(0), "connection refused", null));
        assertEquals(ResolveException.Kind.ROUTING_FAILED, failure(resolver.resolve(site.name())).kind());
        failure(resolver.resolve(site.name()));
        assertEquals(2, fetches.get());
    }

    @Test
    void aStoredRecordIsServedWhenTheEndpointsFail() {
        store.put(site.name(), record(4, Duration.ofHours(1), Duration.ofMinutes(5)));
        answer.set(new RoutingException(RoutingException.Kind.TIMEOUT, ENDPOINTS.get(0), "timeout", null));
        assertEquals(4, resolver.resolve(site.name()).join().record().sequence());
    }

    @Test
    void concurrentResolutionsOfOneNameCoalesce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        IpnsRecord rec = record(5, Duration.ofHours(1), Duration.ofMinutes(5));
        try (NameResolver slow = new NameResolver(store, (e, n, t) -> {
            calls.incrementAndGet();
            try {
                release.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            return Optional.of(rec);
        }, ENDPOINTS, Duration.ofSeconds(1), NEGATIVE, Duration.ofHours(1), 1000, clock)) {
            List<CompletableFuture<ResolvedName>> all = new java.util.ArrayList<>();
            for (int i = 0; i < 20; i++) {
                all.add(slow.resolve(site.name()));
            }
            release.countDown();
            for (CompletableFuture<ResolvedName> f : all) {
                assertEquals(5, f.get(5, TimeUnit.SECONDS).record().sequence());
            }
            assertEquals(1, calls.get());
        }
    }

    @Test
    void aRecordWithoutManifestResolvesWithoutOne() {
        IpnsName name = site.name();
        IpnsRecord plain = Sites.plainRecord(site, 1, clock.instant().plus(Duration.ofHours(1)), Duration.ofMinutes(1), clock);
        store.put(name, plain);
        ResolvedName r = resolver.resolve(name).join();
        assertTrue(r.manifest().isEmpty());
        assertEquals(null, r.manifestError());
        assertTrue(IpnsRecords.compare(plain, r.record()) == 0);
    }
}
