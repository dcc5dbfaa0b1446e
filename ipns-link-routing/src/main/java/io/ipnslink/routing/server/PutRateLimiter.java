package io.ipnslink.routing.server;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A token bucket per client address. Thread safe. Keeps at most {@value #MAX_TRACKED_CLIENTS}
 * buckets: when full, buckets that have refilled completely are dropped, and if that is not enough
 * all are (the limiter then fails open rather than growing without bound).
 */
final class PutRateLimiter {
    /** Most client addresses tracked at once. */
    static final int MAX_TRACKED_CLIENTS = 10_000;

    private final int burst;
    private final double perSecond;
    private final Clock clock;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    PutRateLimiter(int burst, double perSecond, Clock clock) {
        if (burst < 1 || !(perSecond > 0)) {
            throw new IllegalArgumentException("rate limit needs burst >= 1 and a positive rate");
        }
        this.burst = burst;
        this.perSecond = perSecond;
        this.clock = clock;
    }

    /** Takes one token for {@code client}; empty when allowed, else how long to wait. */
    java.util.Optional<Duration> acquire(String client) {
        long nowMs = clock.millis();
        if (buckets.size() >= MAX_TRACKED_CLIENTS && !buckets.containsKey(client)) {
            buckets.values().removeIf(b -> b.isFull(nowMs));
            if (buckets.size() >= MAX_TRACKED_CLIENTS) {
                buckets.clear();
            }
        }
        Bucket bucket = buckets.computeIfAbsent(client, c -> new Bucket(nowMs));
        return bucket.take(nowMs);
    }

    /** Client addresses currently tracked (tests). */
    int trackedClients() {
        return buckets.size();
    }

    private final class Bucket {
        private double tokens = burst;
        private long lastMs;

        Bucket(long nowMs) {
            this.lastMs = nowMs;
        }

        synchronized java.util.Optional<Duration> take(long nowMs) {
            refill(nowMs);
            if (tokens >= 1) {
                tokens -= 1;
                return java.util.Optional.empty();
            }
            long waitMs = (long) Math.ceil((1 - tokens) / perSecond * 1000);
            return java.util.Optional.of(Duration.ofMillis(Math.max(1, waitMs)));
        }

        synchronized boolean isFull(long nowMs) {
            refill(nowMs);
            return tokens >= burst;
        }

        private void refill(long nowMs) {
            if (nowMs > lastMs) {
                tokens = Math.min(burst, tokens + (nowMs - lastMs) / 1000.0 * perSecond);
                lastMs = nowMs;
            }
        }
    }
}
