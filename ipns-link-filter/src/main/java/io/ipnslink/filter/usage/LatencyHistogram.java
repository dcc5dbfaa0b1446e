package io.ipnslink.filter.usage;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Durations counted in log-linear buckets, for percentiles with bounded memory (248 counters, about
 * 2 KiB) and a bounded error: 8 buckets of 8 µs below 64 µs, then 8 buckets per power of two up to
 * 2^36 µs (19 hours; longer durations count in the last bucket). A percentile is the middle of its
 * bucket, so it is within 1/16 (6.25 %) of the true value above 64 µs. Thread safe (one atomic
 * increment per value); two histograms add up with {@link #add}.
 */
public final class LatencyHistogram {
    /** Number of buckets. */
    public static final int BUCKETS = 8 + (36 - 6) * 8;
    private static final long MAX_MICROS = (1L << 36) - 1;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);

    /** Counts one duration of {@code nanos} (negative counts as 0). */
    public void record(long nanos) {
        counts.incrementAndGet(index(Math.max(0, nanos) / 1000));
    }

    static int index(long micros) {
        long v = Math.min(micros, MAX_MICROS);
        if (v < 64) {
            return (int) (v >> 3);
        }
        int e = 63 - Long.numberOfLeadingZeros(v); // 6..35
        int sub = (int) ((v >> (e - 3)) & 7);
        return 8 + (e - 6) * 8 + sub;
    }

    /** The middle of bucket {@code i}, in microseconds. */
    static double middleMicros(int i) {
        if (i < 8) {
            return i * 8 + 4;
        }
        int e = 6 + (i - 8) / 8;
        int sub = (i - 8) % 8;
        long lower = (8L + sub) << (e - 3);
        long width = 1L << (e - 3);
        return lower + width / 2.0;
    }

    /** Adds every count of {@code other} to this one. */
    public void add(LatencyHistogram other) {
        for (int i = 0; i < BUCKETS; i++) {
            long c = other.counts.get(i);
            if (c != 0) {
                counts.addAndGet(i, c);
            }
        }
    }

    /** Values counted so far. */
    public long count() {
        long n = 0;
        for (int i = 0; i < BUCKETS; i++) {
            n += counts.get(i);
        }
        return n;
    }

    /**
     * The {@code q} quantile ({@code 0.5}, {@code 0.99}) in milliseconds, or null when nothing was
     * counted.
     */
    public Double percentileMillis(double q) {
        if (!(q > 0 && q <= 1)) {
            throw new IllegalArgumentException("quantile must be in (0, 1]: " + q);
        }
        long[] snapshot = new long[BUCKETS];
        long total = 0;
        for (int i = 0; i < BUCKETS; i++) {
            snapshot[i] = counts.get(i);
            total += snapshot[i];
        }
        if (total == 0) {
            return null;
        }
        long rank = Math.max(1, (long) Math.ceil(q * total));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += snapshot[i];
            if (seen >= rank) {
                return middleMicros(i) / 1000.0;
            }
        }
        return middleMicros(BUCKETS - 1) / 1000.0;
    }
}
