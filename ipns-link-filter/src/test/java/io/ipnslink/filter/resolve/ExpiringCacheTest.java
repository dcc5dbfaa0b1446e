package io.ipnslink.filter.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.github.benmanes.caffeine.cache.Cache;
import io.ipnslink.filter.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ExpiringCacheTest {
    final MutableClock clock = MutableClock.startingNow();

    @Test
    void eachEntryGoesAtItsOwnTime() {
        Cache<String, Instant> cache = ExpiringCache.create(100, clock, v -> v);
        Instant now = clock.instant();
        cache.put("soon", now.plusSeconds(10));
        cache.put("later", now.plusSeconds(60));
        cache.put("past", now.minusSeconds(1));
        assertNull(cache.getIfPresent("past"), "an entry whose time is over is not kept");
        clock.advance(Duration.ofSeconds(11));
        assertNull(cache.getIfPresent("soon"));
        assertNotNull(cache.getIfPresent("later"));
        cache.cleanUp();
        assertEquals(1, cache.estimatedSize());
        clock.advance(Duration.ofSeconds(50));
        cache.cleanUp();
        assertEquals(0, cache.estimatedSize());
    }

    @Test
    void anEntryForCenturiesIsKeptAtMostMaxKeep() {
        Cache<String, Instant> cache = ExpiringCache.create(100, clock, v -> v);
        cache.put("eol-9999", Instant.parse("9999-12-31T23:59:59Z"));
        clock.advance(ExpiringCache.MAX_KEEP.minusSeconds(1));
        assertNotNull(cache.getIfPresent("eol-9999"));
        clock.advance(Duration.ofSeconds(2));
        assertNull(cache.getIfPresent("eol-9999"));
    }

    @Test
    void theSizeBoundStillHolds() {
        Cache<Integer, Instant> cache = ExpiringCache.create(50, clock, v -> v);
        for (int i = 0; i < 1_000; i++) {
            cache.put(i, clock.instant().plusSeconds(3600));
        }
        cache.cleanUp();
        assertEquals(50, cache.estimatedSize());
    }
}
