package io.ipnslink.filter.resolve;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;

/**
 * The resolution caches: at most {@code maxEntries} entries (Caffeine's W-TinyLFU keeps the ones
 * asked for often), and each entry gone once its own time is up, so that answers nobody asks for
 * again (a flood of names that exist nowhere, each remembered for the negative TTL) do not stay in
 * the heap until the size bound pushes them out. Time is the resolver's {@link Clock}; maintenance
 * runs on the calling thread.
 */
final class ExpiringCache {
    /** Longest an entry may be kept (a record may claim an EOL centuries away). */
    static final Duration MAX_KEEP = Duration.ofDays(30);

    private ExpiringCache() {}

    static <K, V> Cache<K, V> create(int maxEntries, Clock clock, Function<V, Instant> expiresAt) {
        return Caffeine.newBuilder()
                .maximumSize(maxEntries)
                .executor(Runnable::run)
                .ticker(() -> nanos(clock.instant()))
                .expireAfter(new Expiry<K, V>() {
                    @Override
                    public long expireAfterCreate(K key, V value, long currentTime) {
                        return left(expiresAt.apply(value), clock);
                    }

                    @Override
                    public long expireAfterUpdate(K key, V value, long currentTime, long currentDuration) {
                        return left(expiresAt.apply(value), clock);
                    }

                    @Override
                    public long expireAfterRead(K key, V value, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .build();
    }

    private static long left(Instant at, Clock clock) {
        Duration d = Duration.between(clock.instant(), at);
        if (d.isNegative()) {
            return 0;
        }
        return (d.compareTo(MAX_KEEP) > 0 ? MAX_KEEP : d).toNanos();
    }

    private static long nanos(Instant i) {
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }
}
