package io.ipnslink.filter.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {
    @Test
    void percentilesAreWithinTheBucketErrorOfTheTrueValues() {
        LatencyHistogram h = new LatencyHistogram();
        // 1..1000 ms, one each: p50 = 500 ms, p99 = 990 ms
        for (int ms = 1; ms <= 1000; ms++) {
            h.record(ms * 1_000_000L);
        }
        assertEquals(1000, h.count());
        assertEquals(500, h.percentileMillis(0.5), 500 / 16.0);
        assertEquals(990, h.percentileMillis(0.99), 990 / 16.0);
        assertEquals(1000, h.percentileMillis(1.0), 1000 / 16.0);
    }

    @Test
    void everyBucketHoldsWhatItsMiddleSays() {
        Random r = new Random(7);
        for (int i = 0; i < 10_000; i++) {
            long micros = 64 + (long) Math.exp(r.nextDouble() * Math.log(1e10));
            int b = LatencyHistogram.index(micros);
            assertTrue(b >= 0 && b < LatencyHistogram.BUCKETS, micros + " -> " + b);
            if (micros < (1L << 36)) {
                double mid = LatencyHistogram.middleMicros(b);
                assertTrue(Math.abs(mid - micros) <= micros / 16.0 + 1, micros + " in bucket of " + mid);
            }
        }
        assertEquals(0, LatencyHistogram.index(0));
        assertEquals(7, LatencyHistogram.index(63));
        assertEquals(8, LatencyHistogram.index(64));
        assertEquals(LatencyHistogram.BUCKETS - 1, LatencyHistogram.index(Long.MAX_VALUE / 1000), "longer counts last");
    }

    @Test
    void histogramsAddUpAndAnEmptyOneHasNoPercentile() {
        LatencyHistogram a = new LatencyHistogram();
        LatencyHistogram b = new LatencyHistogram();
        assertNull(a.percentileMillis(0.5));
        for (int i = 0; i < 90; i++) {
            a.record(10_000_000L); // 10 ms
        }
        for (int i = 0; i < 10; i++) {
            b.record(2_000_000_000L); // 2 s
        }
        a.add(b);
        assertEquals(100, a.count());
        assertEquals(10, a.percentileMillis(0.5), 10 / 16.0);
        assertEquals(2000, a.percentileMillis(0.99), 2000 / 16.0);
        a.record(-5); // a clock step backwards counts as 0
        assertEquals(101, a.count());
        assertThrows(IllegalArgumentException.class, () -> a.percentileMillis(0));
    }
}
