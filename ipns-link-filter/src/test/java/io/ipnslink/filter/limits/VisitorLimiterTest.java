package io.ipnslink.filter.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.filter.config.Cidr;
import io.ipnslink.filter.testing.MutableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class VisitorLimiterTest {
    final MutableClock clock = MutableClock.startingNow();

    VisitorLimiter limiter(double perSecond, int burst, int maxOpen, int maxTracked, String... exempt) {
        List<Cidr> ex = new ArrayList<>();
        for (String e : exempt) {
            ex.add(Cidr.parse(e));
        }
        return new VisitorLimiter(new VisitorLimits(perSecond, burst, maxOpen, maxTracked, ex), clock);
    }

    static VisitorLimiter.Ticket admitted(VisitorLimiter.Admission a) {
        return assertInstanceOf(VisitorLimiter.Admission.Admitted.class, a).ticket();
    }

    static VisitorLimiter.Admission.Refused refused(VisitorLimiter.Admission a) {
        return assertInstanceOf(VisitorLimiter.Admission.Refused.class, a);
    }

    @Test
    void aBurstThenOneRequestPerRefillWithTheWaitAsRetryAfter() {
        VisitorLimiter l = limiter(2, 3, 100, 100);
        for (int i = 0; i < 3; i++) {
            admitted(l.admit("192.0.2.1")).release();
        }
        VisitorLimiter.Admission.Refused r = refused(l.admit("192.0.2.1"));
        assertEquals(Duration.ofMillis(500), r.retryAfter());
        assertTrue(r.reason().contains("2 per second, 3 at once"), r.reason());
        clock.advance(Duration.ofMillis(500));
        admitted(l.admit("192.0.2.1")).release();
        refused(l.admit("192.0.2.1"));
    }

    @Test
    void visitorsHaveTheirOwnBucketsAndAnIpv6Slash64IsOneVisitor() {
        VisitorLimiter l = limiter(0.001, 1, 100, 100);
        admitted(l.admit("192.0.2.1"));
        refused(l.admit("192.0.2.1"));
        admitted(l.admit("192.0.2.2"));
        admitted(l.admit("2001:db8:0:1::1"));
        refused(l.admit("2001:db8:0:1:ffff:ffff:ffff:ffff"));
        admitted(l.admit("2001:db8:0:2::1"));
    }

    @Test
    void openRequestsAreCappedPerVisitorAndEachReleaseGivesOneBack() {
        VisitorLimiter l = limiter(1000, 1000, 2, 100);
        VisitorLimiter.Ticket a = admitted(l.admit("192.0.2.1"));
        VisitorLimiter.Ticket b = admitted(l.admit("192.0.2.1"));
        VisitorLimiter.Admission.Refused r = refused(l.admit("192.0.2.1"));
        assertEquals(VisitorLimiter.OPEN_REQUESTS_RETRY_AFTER, r.retryAfter());
        assertTrue(r.reason().contains("in progress"), r.reason());
        admitted(l.admit("192.0.2.2")).release(); // another visitor is not concerned
        assertEquals(2, l.openRequests("192.0.2.1"));
        a.release();
        a.release(); // idempotent: gives back one, not two
        assertEquals(1, l.openRequests("192.0.2.1"));
        VisitorLimiter.Ticket c = admitted(l.admit("192.0.2.1"));
        refused(l.admit("192.0.2.1"));
        b.release();
        c.release();
        assertEquals(0, l.openRequests("192.0.2.1"));
        assertEquals(0, l.visitorsWithOpenRequests(), "no entry is kept for a visitor without open requests");
    }

    @Test
    void aRequestRefusedForOpenRequestsTakesNoToken() {
        VisitorLimiter l = limiter(0.001, 2, 1, 100);
        VisitorLimiter.Ticket t = admitted(l.admit("192.0.2.1")); // token 1 of 2
        for (int i = 0; i < 10; i++) {
            refused(l.admit("192.0.2.1")); // open cap; no token taken
        }
        t.release();
        admitted(l.admit("192.0.2.1")).release(); // token 2 is still there
        refused(l.admit("192.0.2.1"));
    }

    @Test
    void exemptAddressesAreNeverLimitedNorTracked() {
        VisitorLimiter l = limiter(0.001, 1, 1, 100, "127.0.0.0/8", "::1");
        for (int i = 0; i < 1000; i++) {
            assertSame(VisitorLimiter.UNLIMITED, admitted(l.admit(i % 2 == 0 ? "127.0.0.1" : "0:0:0:0:0:0:0:1")));
        }
        assertEquals(0, l.trackedVisitors());
        assertEquals(0, l.visitorsWithOpenRequests());
    }

    @Test
    void aFloodOfRandomAddressesKeepsTheTableBoundedAndAnActiveFlooderLimited() {
        int max = 1000;
        VisitorLimiter l = limiter(0.001, 5, 1000, max);
        for (int i = 0; i < 5; i++) {
            admitted(l.admit("198.51.100.7")).release();
        }
        Random random = new Random(7);
        for (int i = 0; i < 100_000; i++) {
            String a = i % 2 == 0 ? (random.nextInt(224) + 1) + "." + random.nextInt(256) + "." + random.nextInt(256)
                    + "." + random.nextInt(256)
                    : String.format("2001:db8:%x:%x::1", random.nextInt(65536), random.nextInt(65536));
            admitted(l.admit(a)).release();
            assertTrue(l.trackedVisitors() <= max, "table grew past its bound: " + l.trackedVisitors());
            if (i % (max / 2) == 0) {
                // the flooder at one address keeps asking; it stays in the table, empty
                refused(l.admit("198.51.100.7"));
            }
        }
        assertEquals(max, l.trackedVisitors());
        assertEquals(0, l.visitorsWithOpenRequests());
        refused(l.admit("198.51.100.7"));
    }

    @Test
    void concurrentAdmitsAndReleasesLeaveNothingOpen() throws Exception {
        VisitorLimiter l = limiter(1_000_000, 1_000_000, 8, 100);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        CountDownLatch done = new CountDownLatch(4);
        List<Integer> admittedCounts = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int t = 0; t < 4; t++) {
            pool.execute(() -> {
                int n = 0;
                for (int i = 0; i < 10_000; i++) {
                    if (l.admit("192.0.2." + (i % 3)) instanceof VisitorLimiter.Admission.Admitted a) {
                        n++;
                        a.ticket().release();
                    }
                }
                admittedCounts.add(n);
                done.countDown();
            });
        }
        assertTrue(done.await(30, TimeUnit.SECONDS));
        pool.shutdown();
        for (int i = 0; i < 3; i++) {
            assertEquals(0, l.openRequests("192.0.2." + i));
        }
        assertEquals(0, l.visitorsWithOpenRequests());
        assertTrue(admittedCounts.stream().mapToInt(Integer::intValue).sum() > 0);
    }

    @Test
    void limitsMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new VisitorLimits(0, 1, 1, 1, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new VisitorLimits(1, 0, 1, 1, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new VisitorLimits(1, 1, 0, 1, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new VisitorLimits(1, 1, 1, 0, List.of()));
        assertThrows(IllegalArgumentException.class,
                () -> new VisitorLimits(Double.POSITIVE_INFINITY, 1, 1, 1, List.of()));
    }
}
