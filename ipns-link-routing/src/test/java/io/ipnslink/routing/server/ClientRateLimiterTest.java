package io.ipnslink.routing.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.routing.MutableClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ClientRateLimiterTest {
    final MutableClock clock = MutableClock.atNow();

    @Test
    void burstThenWaitForOneToken() {
        ClientRateLimiter limiter = new ClientRateLimiter(3, 2, clock);
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
        ClientRateLimiter limiter = new ClientRateLimiter(1, 1, clock);
        assertTrue(limiter.acquire("a").isEmpty());
        assertTrue(limiter.acquire("a").isPresent());
        assertTrue(limiter.acquire("b").isEmpty());
    }

    @Test
    void refillNeverExceedsTheBurst() {
        ClientRateLimiter limiter = new ClientRateLimiter(2, 100, clock);
        clock.advance(Duration.ofHours(1));
        assertTrue(limiter.acquire("a").isEmpty());
        assertTrue(limiter.acquire("a").isEmpty());
        assertTrue(limiter.acquire("a").isPresent());
    }

    @Test
    void manyClientsDoNotGrowTheTableWithoutBound() {
        ClientRateLimiter limiter = new ClientRateLimiter(1, 1, clock);
        for (int i = 0; i < ClientRateLimiter.DEFAULT_MAX_TRACKED_CLIENTS * 2; i++) {
            assertTrue(limiter.acquire("10.0." + (i >> 8) + "." + (i & 255)).isEmpty());
        }
        assertTrue(limiter.trackedClients() <= ClientRateLimiter.DEFAULT_MAX_TRACKED_CLIENTS);
    }

    @Test
    void portsAndSpellingsOfOneAddressShareOneBucket() {
        ClientRateLimiter limiter = new ClientRateLimiter(1, 1, clock);
        assertTrue(limiter.acquire("192.0.2.1:5555").isEmpty());
        assertTrue(limiter.acquire("192.0.2.1:6666").isPresent(), "a new source port is not a new client");
        assertTrue(limiter.acquire("192.0.2.1").isPresent());
        assertTrue(limiter.acquire("::ffff:192.0.2.1").isPresent(), "IPv4-mapped IPv6 is the IPv4 client");
        assertTrue(limiter.acquire("::1").isEmpty());
        assertTrue(limiter.acquire("0:0:0:0:0:0:0:1").isPresent(), "another spelling of ::1");
        assertTrue(limiter.acquire("[::1]:8080").isPresent());
        assertTrue(limiter.acquire("192.0.2.2:5555").isEmpty(), "another address has its own bucket");
    }

    @Test
    void ipv6ClientsShareTheBucketOfTheirSlash64() {
        ClientRateLimiter limiter = new ClientRateLimiter(2, 1, clock);
        assertTrue(limiter.acquire("2001:db8:1:2::1").isEmpty());
        assertTrue(limiter.acquire("2001:db8:1:2:ffff:ffff:ffff:ffff").isEmpty());
        assertTrue(limiter.acquire("2001:DB8:1:2:abcd::9").isPresent(), "a third address in the same /64");
        assertTrue(limiter.acquire("2001:db8:1:3::1").isEmpty(), "the next /64 is another client");
        assertEquals(2, limiter.trackedClients());
    }

    @Test
    void aFloodOfNewClientsDoesNotResetAnActiveClientsBucket() {
        ClientRateLimiter limiter = new ClientRateLimiter(1, 0.001, clock);
        String active = "198.51.100.7";
        assertTrue(limiter.acquire(active).isEmpty());
        int flood = ClientRateLimiter.DEFAULT_MAX_TRACKED_CLIENTS * 3;
        for (int i = 0; i < flood; i++) {
            limiter.acquire("10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255));
            if (i % 1000 == 0) {
                assertTrue(limiter.acquire(active).isPresent(), "the active client got a fresh bucket at " + i);
            }
            assertTrue(limiter.trackedClients() <= ClientRateLimiter.DEFAULT_MAX_TRACKED_CLIENTS);
        }
        assertTrue(limiter.acquire(active).isPresent());
        assertEquals(ClientRateLimiter.DEFAULT_MAX_TRACKED_CLIENTS, limiter.trackedClients());
    }

    @Test
    void beyondTheBoundTheLeastRecentlyUsedBucketIsEvicted() {
        ClientRateLimiter limiter = new ClientRateLimiter(1, 0.001, 100, clock);
        for (int i = 0; i < 1000; i++) {
            assertTrue(limiter.acquire("10.1." + (i >> 8) + "." + (i & 255)).isEmpty());
        }
        assertEquals(100, limiter.trackedClients());
        assertEquals(900, limiter.evictedClients());
        assertTrue(limiter.acquire("10.1.3.231").isPresent(), "the most recent client (999) is still tracked");
        assertTrue(limiter.acquire("10.1.3.132").isPresent(), "client 900 is still tracked");
        assertTrue(limiter.acquire("10.1.0.0").isEmpty(), "client 0 was evicted and starts over");
        assertEquals(100, limiter.trackedClients());
    }

    @Test
    void nonsenseSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ClientRateLimiter(0, 1, clock));
        assertThrows(IllegalArgumentException.class, () -> new ClientRateLimiter(1, 0, clock));
        assertThrows(IllegalArgumentException.class, () -> new ClientRateLimiter(1, Double.NaN, clock));
        assertThrows(IllegalArgumentException.class, () -> new ClientRateLimiter(1, 1, 0, clock));
    }
}
