package io.ipnslink.routing.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.routing.MutableClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PutRateLimiterTest {
    final MutableClock clock = MutableClock.atNow();

    @Test
    void burstThenWaitForOneToken() {
        PutRateLimiter limiter = new PutRateLimiter(3, 2, clock);
        for (int i = 0; i < 3; i++) {
            assertTrue(limiter.acquire("a").isEmpty());
        }
        assertEquals(Duration.ofMillis(500), limiter.acquire("a").orElseThrow());
        clock.advance(Duration.ofMillis(499));
        assertTrue(limiter.acquire("a").isPresent());
        clock.advance(Duration.ofMillis(1));
        assertTrue(limiter.acquire("a").isEmpty());
    }

    @Test
    void clientsHaveSeparateBuckets() {
        PutRateLimiter limiter = new PutRateLimiter(1, 1, clock);
        assertTrue(limiter.acquire("a").isEmpty());
        assertTrue(limiter.acquire("a").isPresent());
        assertTrue(limiter.acquire("b").isEmpty());
    }

    @Test
    void refillNeverExceedsTheBurst() {
        PutRateLimiter limiter = new PutRateLimiter(2, 100, clock);
        clock.advance(Duration.ofHours(1));
        assertTrue(limiter.acquire("a").isEmpty());
        assertTrue(limiter.acquire("a").isEmpty());
        assertTrue(limiter.acquire("a").isPresent());
    }

    @Test
    void manyClientsDoNotGrowTheTableWithoutBound() {
        PutRateLimiter limiter = new PutRateLimiter(1, 1, clock);
        for (int i = 0; i < PutRateLimiter.MAX_TRACKED_CLIENTS * 2; i++) {
            assertTrue(limiter.acquire("10.0." + (i >> 8) + "." + (i & 255)).isEmpty());
        }
        assertTrue(limiter.trackedClients() <= PutRateLimiter.MAX_TRACKED_CLIENTS);
    }

    @Test
    void nonsenseSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new PutRateLimiter(0, 1, clock));
        assertThrows(IllegalArgumentException.class, () -> new PutRateLimiter(1, 0, clock));
        assertThrows(IllegalArgumentException.class, () -> new PutRateLimiter(1, Double.NaN, clock));
    }
}
