package io.ipnslink.routing.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.routing.MutableClock;
import io.ipnslink.routing.RoutingV1;
import io.ipnslink.routing.TestRecords;
import io.ipnslink.routing.TestRecords.Identity;
import io.ipnslink.routing.store.JdbcRecordStore.Limits;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.h2.jdbcx.JdbcConnectionPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A hostile publisher against the store's bounds: many names, huge records, EOL in year 9999. */
class RecordStoreLimitsTest {
    static final Instant YEAR_9999 = Instant.parse("9999-12-31T23:59:59Z");
    static final Duration RETENTION = Limits.DEFAULT_MAX_RETENTION;
    /** A value that makes a signed V1+V2 record of about 9 KiB, close to the 10 KiB limit. */
    static final String HUGE_VALUE = "/ipfs/bafkqaaa/" + "a".repeat(4300);

    @TempDir
    Path dir;
    MutableClock clock;
    List<JdbcRecordStore> opened = new ArrayList<>();

    @BeforeEach
    void setUp() {
        clock = MutableClock.atNow();
    }

    @AfterEach
    void closeAll() {
        opened.forEach(JdbcRecordStore::close);
    }

    JdbcRecordStore open(String sub, Limits limits) {
        JdbcRecordStore s = JdbcRecordStore.h2File(dir.resolve(sub), clock, limits);
        opened.add(s);
        return s;
    }

    IpnsRecord huge(Identity id, long seq) {
        IpnsRecord r = id.record(seq, YEAR_9999, Duration.ofDays(3650), HUGE_VALUE);
        assertTrue(r.raw().length > 8 * 1024 && r.raw().length <= RoutingV1.MAX_RECORD_BYTES, "" + r.raw().length);
        return r;
    }

    @Test
    void aRecordClaimingEol9999IsKeptOnlyForTheRetentionAfterItWasReceived() {
        try (JdbcRecordStore store = JdbcRecordStore.h2File(dir.resolve("default"), clock)) {
            Identity alice = TestRecords.newIdentity();
            assertTrue(store.put(alice.name(), alice.record(1, YEAR_9999)));
            clock.advance(RETENTION.minusSeconds(1));
            assertTrue(store.get(alice.name()).isPresent());
            clock.advance(Duration.ofSeconds(1));
            assertTrue(store.get(alice.name()).isEmpty(), "a far EOL must not keep a record past the retention");
            assertEquals(0, store.count());
        }
    }

    @Test
    void deleteExpiredRemovesRecordsPastTheRetentionWhateverTheirEol() {
        try (JdbcRecordStore store = JdbcRecordStore.h2File(dir.resolve("default"), clock)) {
            for (int i = 0; i < 5; i++) {
                Identity id = TestRecords.newIdentity();
                store.put(id.name(), id.record(1, YEAR_9999));
            }
            clock.advance(RETENTION);
            assertEquals(5, store.deleteExpired());
            assertEquals(0, store.count());
        }
    }

    @Test
    void storedRecordSaysWhenItIsForgotten() {
        JdbcRecordStore store = open("s", Limits.defaults());
        Identity alice = TestRecords.newIdentity();
        store.put(alice.name(), alice.record(1, YEAR_9999));
        assertEquals(clock.instant().plus(RETENTION), store.get(alice.name()).orElseThrow().retainUntil());
        Identity bob = TestRecords.newIdentity();
        Instant soon = clock.instant().plusSeconds(30);
        store.put(bob.name(), bob.record(1, soon));
        assertEquals(soon, store.get(bob.name()).orElseThrow().retainUntil());
    }

    @Test
    void theSameRecordPutAgainIsFreshAgainAndABetterOneReplacesAStaleOne() {
        JdbcRecordStore store = open("s", Limits.defaults());
        Identity alice = TestRecords.newIdentity();
        IpnsRecord r = alice.record(5, YEAR_9999);
        assertTrue(store.put(alice.name(), r));
        clock.advance(RETENTION.minusHours(1));
        assertFalse(store.put(alice.name(), r), "the same record is not a replacement");
        clock.advance(Duration.ofHours(2));
        assertArrayEquals(r.raw(), store.get(alice.name()).orElseThrow().record().raw(),
                "received again an hour before the end of the retention: kept");
        clock.advance(RETENTION);
        assertTrue(store.get(alice.name()).isEmpty());
        assertTrue(store.put(alice.name(), alice.record(1, YEAR_9999)), "a record past the retention is worth nothing");
    }

    @Test
    void hostilePublisherWithManyNamesAndHugeRecordsIsBoundedByMaxNames() {
        int maxNames = 40;
        JdbcRecordStore store = open("s", new Limits(maxNames, RETENTION, Duration.ZERO));
        List<Identity> accepted = new ArrayList<>();
        int refused = 0;
        for (int i = 0; i < 3 * maxNames; i++) {
            Identity id = TestRecords.newIdentity();
            try {
                assertTrue(store.put(id.name(), huge(id, 1)));
                accepted.add(id);
            } catch (StoreFullException e) {
                refused++;
                assertEquals(Duration.ofHours(1), e.retryAfter());
                assertTrue(e.getMessage().contains("full"), e.getMessage());
            }
        }
        assertEquals(maxNames, accepted.size());
        assertEquals(2 * maxNames, refused);
        assertEquals(maxNames, store.count());
        long bytes = 0;
        for (Identity id : accepted) {
            bytes += store.get(id.name()).orElseThrow().record().raw().length;
        }
        assertTrue(bytes <= (long) maxNames * RoutingV1.MAX_RECORD_BYTES, "bytes held: " + bytes);

        // Names already held are still updated when full.
        Identity first = accepted.get(0);
        assertTrue(store.put(first.name(), huge(first, 2)));
        assertEquals(2, store.get(first.name()).orElseThrow().record().sequence());

        // Past the retention the hostile records are gone; a new name makes room for itself.
        clock.advance(RETENTION);
        Identity late = TestRecords.newIdentity();
        assertTrue(store.put(late.name(), late.record(1, clock.instant().plus(Duration.ofDays(1)))));
        assertEquals(1, store.count());
    }

    @Test
    void concurrentNewNamesOvershootTheBoundByAtMostTheConnections() throws Exception {
        int maxNames = 20;
        JdbcRecordStore store = open("s", new Limits(maxNames, RETENTION, Duration.ZERO));
        int threads = 16;
        int perThread = 6;
        List<List<Identity>> work = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            List<Identity> mine = new ArrayList<>();
            for (int i = 0; i < perThread; i++) {
                mine.add(TestRecords.newIdentity());
            }
            work.add(mine);
        }
        AtomicInteger stored = new AtomicInteger();
        AtomicInteger full = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (List<Identity> mine : work) {
                futures.add(pool.submit(() -> {
                    start.await();
                    for (Identity id : mine) {
                        try {
                            store.put(id.name(), huge(id, 1));
                            stored.incrementAndGet();
                        } catch (StoreFullException e) {
                            full.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(threads * perThread, stored.get() + full.get());
        assertEquals(stored.get(), store.count());
        assertTrue(store.count() >= maxNames, "count " + store.count());
        assertTrue(store.count() <= maxNames + JdbcRecordStore.H2_MAX_CONNECTIONS, "count " + store.count());
    }

    @Test
    void expiredRecordsAreSweptOnASchedule() throws Exception {
        JdbcRecordStore store = open("s", Limits.defaults().withSweepInterval(Duration.ofMillis(20)));
        Identity shortLived = TestRecords.newIdentity();
        Identity farEol = TestRecords.newIdentity();
        Identity fresh = TestRecords.newIdentity();
        store.put(shortLived.name(), shortLived.record(1, clock.instant().plusSeconds(60)));
        store.put(farEol.name(), farEol.record(1, YEAR_9999));
        clock.advance(RETENTION.minusMinutes(1));
        store.put(fresh.name(), fresh.record(1, YEAR_9999));
        clock.advance(Duration.ofMinutes(1));
        // Nothing reads or writes from here on: only the sweeper can delete.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (store.count() > 1 && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(5);
        }
        assertEquals(1, store.count(), "the sweep did not delete the two expired records");
        assertEquals(List.of(fresh.name()), store.names(10));
    }

    @Test
    void boundsHoldInPostgreSqlCompatibilityMode() {
        JdbcConnectionPool pool = JdbcConnectionPool.create(
                "jdbc:h2:mem:pgl" + System.nanoTime() + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1",
                "sa", "");
        try (JdbcRecordStore pg = new JdbcRecordStore(pool, clock, new Limits(2, RETENTION, Duration.ZERO))) {
            Identity a = TestRecords.newIdentity();
            Identity b = TestRecords.newIdentity();
            Identity c = TestRecords.newIdentity();
            assertTrue(pg.put(a.name(), a.record(1, YEAR_9999)));
            assertTrue(pg.put(b.name(), b.record(1, YEAR_9999)));
            assertThrows(StoreFullException.class, () -> pg.put(c.name(), c.record(1, YEAR_9999)));
            clock.advance(RETENTION);
            assertTrue(pg.put(c.name(), c.record(1, YEAR_9999)), "expired names make room");
            assertEquals(1, pg.count());
            assertTrue(pg.get(a.name()).isEmpty());
            clock.advance(RETENTION);
            assertTrue(pg.get(c.name()).isEmpty());
            assertEquals(0, pg.count(), "deleted on read");
        } finally {
            pool.dispose();
        }
    }

    @Test
    void nonsenseLimitsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Limits(0, RETENTION, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new Limits(1, Duration.ZERO, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new Limits(1, Duration.ofDays(100_000), Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new Limits(1, RETENTION, Duration.ofSeconds(-1)));
    }
}
