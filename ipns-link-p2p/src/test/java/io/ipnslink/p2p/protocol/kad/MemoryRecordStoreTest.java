package io.ipnslink.p2p.protocol.kad;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The in-memory record store: count and size bounds, expiry after receipt. */
class MemoryRecordStoreTest {
    static final class MutableClock extends Clock {
        final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-05T00:00:00Z"));

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }

        void advance(Duration d) {
            now.set(now.get().plus(d));
        }
    }

    static byte[] key(int i) {
        return ("/ipns/" + i).getBytes();
    }

    @Test
    void boundedInCountAndRecordSize() {
        MutableClock clock = new MutableClock();
        MemoryRecordStore s = new MemoryRecordStore(3, 100, Duration.ofHours(48), clock);
        for (int i = 0; i < 3; i++) {
            assertTrue(s.put(key(i), new byte[] {(byte) i}, clock.instant()));
        }
        assertFalse(s.put(key(3), new byte[1], clock.instant()), "full: a new key is refused");
        assertTrue(s.put(key(1), new byte[] {9}, clock.instant()), "a known key is replaced");
        assertArrayEquals(new byte[] {9}, s.get(key(1)).orElseThrow().value());
        assertFalse(s.put(key(0), new byte[101], clock.instant()), "over the record size");
        assertEquals(3, s.size());
    }

    @Test
    void recordsExpireAfterReceiptAndMakeRoom() {
        MutableClock clock = new MutableClock();
        MemoryRecordStore s = new MemoryRecordStore(2, 100, Duration.ofHours(48), clock);
        assertTrue(s.put(key(0), new byte[1], clock.instant()));
        clock.advance(Duration.ofHours(24));
        assertTrue(s.put(key(1), new byte[1], clock.instant()));
        clock.advance(Duration.ofHours(24));
        assertTrue(s.get(key(0)).isEmpty(), "48 h after receipt");
        assertTrue(s.get(key(1)).isPresent());
        assertTrue(s.put(key(2), new byte[1], clock.instant()));
        clock.advance(Duration.ofHours(24));
        assertTrue(s.put(key(3), new byte[1], clock.instant()), "full, but key 1 expired and was swept");
        assertEquals(2, s.size());
    }
}
