package io.ipnslink.filter.ipfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.crypto.Ed25519PrivKey;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The request -> peer table is bounded: a flood of requests (hostile visitors) never grows it past its bound. */
class PeerHintsTest {
    static final PeerHints.Hint HINT = new PeerHints.Hint(Ed25519PrivKey.generate().peerId(), List.of(), "site");

    @Test
    void registerGetRemove() {
        PeerHints h = new PeerHints();
        assertTrue(h.register("r1", HINT));
        assertFalse(h.register("r1", HINT), "one hint per request");
        assertEquals(HINT, h.get("r1").orElseThrow());
        assertTrue(h.get("r2").isEmpty());
        assertTrue(h.get(null).isEmpty());
        h.remove("r1");
        h.remove("r1");
        assertEquals(0, h.size());
        assertTrue(h.register("r1", HINT));
    }

    @Test
    void aFloodFromManyThreadsStaysWithinTheBound() throws Exception {
        PeerHints h = new PeerHints(100);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        AtomicInteger kept = new AtomicInteger();
        AtomicInteger largest = new AtomicInteger();
        for (int t = 0; t < 8; t++) {
            int thread = t;
            pool.execute(() -> {
                for (int i = 0; i < 10_000; i++) {
                    String id = thread + "-" + i;
                    if (h.register(id, HINT)) {
                        kept.incrementAndGet();
                        if (i % 2 == 0) {
                            h.remove(id);
                            kept.decrementAndGet();
                        }
                    }
                    largest.accumulateAndGet(h.size(), Math::max);
                }
            });
        }
        pool.shutdown();
        assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
        assertEquals(kept.get(), h.size());
        assertTrue(largest.get() <= 100, "largest " + largest.get());
        assertEquals(100, h.size(), "half the registered hints stay: the table filled up");
        assertTrue(h.size() <= 100);
        assertFalse(h.register("one-more", HINT), "full: refused, not queued");
    }
}
