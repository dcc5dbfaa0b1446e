package io.ipnslink.routing.server;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A token bucket per client IP address ({@link ClientAddress#key}: the port and the spelling do
 * not matter, IPv6 clients are keyed by their /64). Thread safe. Used by the routing endpoint (PUTs
 * per client, new names per client) and by the gateway filter (requests per visitor). Holds at most
 * {@code maxClients} buckets, in least-recently-used order: a new client beyond that evicts the
 * bucket used longest ago (which has usually refilled), so a crowd of new addresses never resets
 * the buckets of clients that are active, and memory stays bounded.
 */
public final class ClientRateLimiter {
    /** Default most client addresses tracked at once. */
    public static final int DEFAULT_MAX_TRACKED_CLIENTS = 10_000;

    private final int burst;
    private final double perSecond;
    private final int maxClients;
    private final Clock clock;
    private final LinkedHashMap<String, Bucket> buckets;
    private long evicted;

    public ClientRateLimiter(int burst, double perSecond, Clock clock) {
        this(burst, perSecond, DEFAULT_MAX_TRACKED_CLIENTS, clock);
    }

    /**
     * @param burst tokens a client may spend at once (its bucket's size)
     * @param perSecond tokens added per second (up to {@code burst})
     * @param maxClients most clients tracked at once
     */
    public ClientRateLimiter(int burst, double perSecond, int maxClients, Clock clock) {
        if (burst < 1 || !(perSecond > 0) || Double.isInfinite(perSecond)) {
            throw new IllegalArgumentException("rate limit needs burst >= 1 and a positive rate");
        }
        if (maxClients < 1) {
            throw new IllegalArgumentException("the rate limiter must track at least one client, not " + maxClients);
        }
        this.burst = burst;
        this.perSecond = perSecond;
        this.maxClients = maxClients;
        this.clock = clock;
        this.buckets = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
                if (size() > ClientRateLimiter.this.maxClients) {
                    evicted++;
                    return true;
                }
                return false;
            }
        };
    }

    /**
     * Takes one token for the client at {@code remoteAddr} (as the servlet container gives it);
     * empty when allowed, else how long to wait.
     */
    public synchronized Optional<Duration> acquire(String remoteAddr) {
        long nowMs = clock.millis();
        Bucket bucket = buckets.computeIfAbsent(ClientAddress.key(remoteAddr), c -> new Bucket(nowMs));
        return bucket.take(nowMs);
    }

    /**
     * Gives back the token {@link #acquire} took from {@code remoteAddr} (a request that turned
     * out not to count), if the client is still tracked; never above the burst.
     */
    public synchronized void refund(String remoteAddr) {
        Bucket bucket = buckets.get(ClientAddress.key(remoteAddr));
        if (bucket != null) {
            bucket.tokens = Math.min(burst, bucket.tokens + 1);
        }
    }

    /** Client keys currently tracked (tests, metrics). */
    public synchronized int trackedClients() {
        return buckets.size();
    }

    /** Buckets evicted to stay within the bound since the start (tests, metrics). */
    public synchronized long evictedClients() {
        return evicted;
    }

    /** Guarded by the limiter's lock. */
    private final class Bucket {
        private double tokens = burst;
        private long lastMs;

        Bucket(long nowMs) {
            this.lastMs = nowMs;
        }

        Optional<Duration> take(long nowMs) {
            if (nowMs > lastMs) {
                tokens = Math.min(burst, tokens + (nowMs - lastMs) / 1000.0 * perSecond);
                lastMs = nowMs;
            }
            if (tokens >= 1) {
                tokens -= 1;
                return Optional.empty();
            }
            long waitMs = (long) Math.ceil((1 - tokens) / perSecond * 1000);
            return Optional.of(Duration.ofMillis(Math.max(1, waitMs)));
        }
    }
}
