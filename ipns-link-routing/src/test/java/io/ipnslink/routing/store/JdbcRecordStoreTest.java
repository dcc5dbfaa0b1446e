package io.ipnslink.routing.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.core.ipns.IpnsRecordException;
import io.ipnslink.routing.MutableClock;
import io.ipnslink.routing.TestRecords;
import io.ipnslink.routing.TestRecords.Identity;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.h2.jdbcx.JdbcConnectionPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store on an embedded H2 file database; {@link PostgresJdbcRecordStoreTest} runs every test
 * of this class again on a real PostgreSQL server (the same SQL on both).
 */
class JdbcRecordStoreTest {
    @TempDir
    Path dir;
    MutableClock clock;
    JdbcRecordStore store;
    Identity alice;
    Instant inADay;

    @BeforeEach
    void open() {
        clock = MutableClock.atNow();
        openDatabase();
        store = newStore();
        alice = TestRecords.newIdentity();
        inADay = clock.instant().plus(Duration.ofDays(1));
    }

    @AfterEach
    void close() {
        store.close();
        closeDatabase();
    }

    /** Makes the (empty) database of one test. */
    void openDatabase() {
    }

    /** A new store over the test's database (several may be open at once, as several processes). */
    JdbcRecordStore newStore() {
        return JdbcRecordStore.h2File(dir, clock);
    }

    void closeDatabase() {
    }

    @Test
    void storedRecordIsReturnedWithItsBytesAndStoreTime() {
        IpnsRecord r = alice.record(3, inADay);
        assertTrue(store.put(alice.name(), r));
        StoredRecord got = store.get(alice.name()).orElseThrow();
        assertArrayEquals(r.raw(), got.record().raw());
        assertEquals(alice.name(), got.name());
        assertEquals(clock.instant(), got.updated());
    }

    @Test
    void unknownNameHasNoRecord() {
        assertTrue(store.get(alice.name()).isEmpty());
    }

    @Test
    void higherSequenceReplacesLower() {
        assertTrue(store.put(alice.name(), alice.record(1, inADay)));
        assertTrue(store.put(alice.name(), alice.record(2, inADay)));
        assertEquals(2, store.get(alice.name()).orElseThrow().record().sequence());
    }

    @Test
    void lowerSequenceNeverReplacesHigherEvenWithLaterValidity() {
        assertTrue(store.put(alice.name(), alice.record(5, inADay)));
        assertFalse(store.put(alice.name(), alice.record(4, inADay.plus(Duration.ofDays(30)))));
        assertEquals(5, store.get(alice.name()).orElseThrow().record().sequence());
    }

    @Test
    void sameRecordTwiceIsNotAReplacement() {
        IpnsRecord r = alice.record(1, inADay);
        assertTrue(store.put(alice.name(), r));
        assertFalse(store.put(alice.name(), r));
    }

    @Test
    void sameSequenceLaterValidityWins() {
        assertTrue(store.put(alice.name(), alice.record(7, inADay)));
        IpnsRecord later = alice.record(7, inADay.plusSeconds(60));
        assertTrue(store.put(alice.name(), later));
        assertFalse(store.put(alice.name(), alice.record(7, inADay)));
        assertArrayEquals(later.raw(), store.get(alice.name()).orElseThrow().record().raw());
    }

    @Test
    void sequencesAboveLongMaxCompareUnsigned() {
        assertTrue(store.put(alice.name(), alice.record(Long.MAX_VALUE, inADay)));
        assertTrue(store.put(alice.name(), alice.record(-2L, inADay))); // 2^64 - 2
        assertFalse(store.put(alice.name(), alice.record(Long.MAX_VALUE, inADay)));
        assertEquals(-2L, store.get(alice.name()).orElseThrow().record().sequence());
    }

    @Test
    void recordOfAnotherNameIsRejectedAndNotStored() {
        Identity mallory = TestRecords.newIdentity();
        assertThrows(IpnsRecordException.class, () -> store.put(alice.name(), mallory.record(9, inADay)));
        assertTrue(store.get(alice.name()).isEmpty());
        assertEquals(0, store.count());
    }

    @Test
    void expiredRecordIsRejected() {
        IpnsRecord r = alice.record(1, clock.instant().plusSeconds(10));
        clock.advance(Duration.ofSeconds(11));
        assertThrows(IpnsRecordException.class, () -> store.put(alice.name(), r));
    }

    @Test
    void expiredRecordIsNotReturnedAndIsDeletedOnReadOrByDeleteExpired() {
        Identity bob = TestRecords.newIdentity();
        Identity carol = TestRecords.newIdentity();
        store.put(alice.name(), alice.record(1, clock.instant().plusSeconds(10)));
        store.put(bob.name(), bob.record(1, inADay));
        store.put(carol.name(), carol.record(1, clock.instant().plusSeconds(10)));
        clock.advance(Duration.ofSeconds(10));
        assertEquals(3, store.count());
        assertTrue(store.get(alice.name()).isEmpty());
        assertEquals(2, store.count(), "the expired record read is deleted");
        assertTrue(store.get(bob.name()).isPresent());
        assertEquals(1, store.deleteExpired());
        assertEquals(1, store.count());
        assertEquals(List.of(bob.name()), store.names(10));
    }

    @Test
    void validRecordReplacesAnExpiredOneWhateverItsSequence() {
        store.put(alice.name(), alice.record(9, clock.instant().plusSeconds(10)));
        clock.advance(Duration.ofSeconds(20));
        assertTrue(store.put(alice.name(), alice.record(1, inADay)));
        assertEquals(1, store.get(alice.name()).orElseThrow().record().sequence());
    }

    @Test
    void namesAndCountListEveryStoredName() {
        Set<Object> expected = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            Identity id = TestRecords.newIdentity();
            store.put(id.name(), id.record(0, inADay));
            expected.add(id.name());
        }
        assertEquals(5, store.count());
        assertEquals(expected, new HashSet<>(store.names(100)));
        assertEquals(3, store.names(3).size());
        assertTrue(store.names(0).isEmpty());
    }

    @Test
    void concurrentPutsOfRandomSequencesEndWithTheHighest() throws Exception {
        int threads = 16;
        int perThread = 50;
        Random random = new Random(42);
        List<List<IpnsRecord>> work = new ArrayList<>();
        long max = -1;
        for (int t = 0; t < threads; t++) {
            // Each thread climbs through its own random sequences, so that puts keep racing to
            // replace the row until the very end (a lost update would leave a lower sequence).
            long[] seqs = random.longs(perThread, 0, 1_000_000).sorted().toArray();
            List<IpnsRecord> mine = new ArrayList<>();
            for (long seq : seqs) {
                max = Math.max(max, seq);
                mine.add(alice.record(seq, inADay));
            }
            work.add(mine);
        }
        runConcurrently(alice.name(), work, store, store);
        assertEquals(max, store.get(alice.name()).orElseThrow().record().sequence());
        assertEquals(1, store.count());
    }

    @Test
    void twoStoresSharingOneDatabaseKeepTheHighest() throws Exception {
        // Two store instances over one database stand for two processes sharing a database server.
        try (JdbcRecordStore one = newStore(); JdbcRecordStore two = newStore()) {
            Random random = new Random(7);
            List<List<IpnsRecord>> work = new ArrayList<>();
            long max = -1;
            for (int t = 0; t < 8; t++) {
                List<IpnsRecord> mine = new ArrayList<>();
                for (long seq : random.longs(40, 0, 1000).sorted().toArray()) {
                    max = Math.max(max, seq);
                    mine.add(alice.record(seq, inADay));
                }
                work.add(mine);
            }
            runConcurrently(alice.name(), work, one, two);
            assertEquals(max, one.get(alice.name()).orElseThrow().record().sequence());
            assertEquals(max, two.get(alice.name()).orElseThrow().record().sequence());
        }
    }

    @Test
    void schemaAndPutsWorkInPostgreSqlCompatibilityMode() {
        JdbcConnectionPool pool = JdbcConnectionPool.create(
                "jdbc:h2:mem:pg" + System.nanoTime() + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1",
                "sa", "");
        try (JdbcRecordStore pg = new JdbcRecordStore(pool, clock)) {
            assertTrue(pg.put(alice.name(), alice.record(1, inADay)));
            assertFalse(pg.put(alice.name(), alice.record(0, inADay)));
            assertEquals(1, pg.get(alice.name()).orElseThrow().record().sequence());
            assertEquals(1, pg.count());
        } finally {
            pool.dispose();
        }
    }

    @Test
    void recordSurvivesCloseAndReopenOfTheSameDirectory() {
        IpnsRecord r = alice.record(11, inADay);
        store.put(alice.name(), r);
        store.close();
        store = newStore();
        assertArrayEquals(r.raw(), store.get(alice.name()).orElseThrow().record().raw());
        assertFalse(store.put(alice.name(), alice.record(10, inADay)));
    }

    @Test
    void openingTwiceIsIdempotentForTheSchema() {
        try (JdbcRecordStore again = newStore()) {
            again.put(alice.name(), alice.record(1, inADay));
            assertEquals(1, store.count());
        }
    }

    private static void runConcurrently(IpnsName name, List<List<IpnsRecord>> work, RecordStore a, RecordStore b)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(work.size());
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < work.size(); t++) {
                RecordStore target = t % 2 == 0 ? a : b;
                List<IpnsRecord> mine = work.get(t);
                futures.add(pool.submit(() -> {
                    start.await();
                    for (IpnsRecord r : mine) {
                        target.put(name, r);
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
    }
}
