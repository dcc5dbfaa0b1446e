package io.ipnslink.filter.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.ipns.IpnsRecord;
import io.ipnslink.routing.store.RecordStore;
import io.ipnslink.routing.store.StoredRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The readiness check: cached for a second, one probe at a time, bounded by its timeout. */
class ReadinessTest {
    /** A store whose probe query ({@code names}) counts, fails or waits as the test says. */
    static final class ProbedStore implements RecordStore {
        final AtomicInteger probes = new AtomicInteger();
        volatile RuntimeException failure;
        volatile CountDownLatch gate;

        @Override
        public List<IpnsName> names(int limit) {
            probes.incrementAndGet();
            CountDownLatch g = gate;
            if (g != null) {
                try {
                    g.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            RuntimeException f = failure;
            if (f != null) {
                throw f;
            }
            return List.of();
        }

        @Override
        public Optional<StoredRecord> get(IpnsName name) {
            throw new UnsupportedOperationException("not asked by the readiness check");
        }

        @Override
        public boolean put(IpnsName name, IpnsRecord record) {
            throw new UnsupportedOperationException("not asked by the readiness check");
        }

        @Override
        public long count() {
            throw new UnsupportedOperationException("not asked by the readiness check");
        }

        @Override
        public int deleteExpired() {
            throw new UnsupportedOperationException("not asked by the readiness check");
        }

        @Override
        public void close() {}
    }

    final ProbedStore store = new ProbedStore();
    final AtomicLong now = new AtomicLong(1_000_000_000L);

    @Test
    void aResultIsReusedForASecond() {
        try (Readiness r = new Readiness(store, null, false, Duration.ofSeconds(2), now::get)) {
            assertTrue(r.check().ready());
            for (int i = 0; i < 100; i++) {
                assertTrue(r.check().ready());
            }
            assertEquals(1, store.probes.get());
            store.failure = new IllegalStateException("connection refused\nmore lines");
            now.addAndGet(Duration.ofMillis(999).toNanos());
            assertTrue(r.check().ready(), "still the cached answer");
            now.addAndGet(Duration.ofMillis(2).toNanos());
            Readiness.Result down = r.check();
            assertFalse(down.ready());
            assertEquals("the record store failed: connection refused", down.reason());
            assertEquals(2, store.probes.get());
        }
    }

    @Test
    void aHangingStoreIsNotReadyWithinTheTimeoutAndProbesDoNotPileUp() throws Exception {
        store.gate = new CountDownLatch(1);
        ExecutorService callers = Executors.newFixedThreadPool(8);
        try (Readiness r = new Readiness(store, null, false, Duration.ofMillis(200), now::get)) {
            List<Future<Readiness.Result>> all = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                all.add(callers.submit(r::check));
            }
            for (Future<Readiness.Result> f : all) {
                Readiness.Result res = f.get(10, TimeUnit.SECONDS);
                assertFalse(res.ready());
                assertEquals("the record store did not answer within 200 ms", res.reason());
            }
            // later checks while the one probe still hangs: no second probe is started
            for (int i = 0; i < 5; i++) {
                now.addAndGet(Duration.ofSeconds(2).toNanos());
                assertEquals("the record store did not answer within 200 ms", r.check().reason());
            }
            assertEquals(1, store.probes.get(), "one probe at a time, whatever the number of callers");
            store.gate.countDown(); // the store answers again
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            Readiness.Result res;
            do {
                now.addAndGet(Duration.ofSeconds(2).toNanos());
                res = r.check();
            } while (!res.ready() && System.nanoTime() < deadline);
            assertTrue(res.ready(), res.reason());
        } finally {
            callers.shutdownNow();
        }
    }
}
