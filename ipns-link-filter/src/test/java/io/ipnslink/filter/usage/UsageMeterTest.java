package io.ipnslink.filter.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.filter.pipeline.RequestMeter;
import io.ipnslink.filter.testing.MutableClock;
import io.ipnslink.filter.testing.Sites;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class UsageMeterTest {
    static final Instant T0 = Instant.parse("2026-12-05T10:59:30Z");
    static final Instant H10 = Instant.parse("2026-12-05T10:00:00Z");
    static final Instant H11 = Instant.parse("2026-12-05T11:00:00Z");

    final MutableClock clock = new MutableClock(T0);
    final IpnsName a = Sites.Site.generate().name();
    final IpnsName b = Sites.Site.generate().name();
    DataSource ds;
    UsageTables tables;
    UsageQueries queries;

    @BeforeEach
    void setUp() throws SQLException {
        ds = UsageDb.fresh();
        tables = new UsageTables(ds);
        tables.create();
        queries = new UsageQueries(ds);
    }

    List<UsageRow> rows(IpnsName site) throws SQLException {
        return queries.usage(site == null ? null : site.toString(), H10.minus(Duration.ofDays(1)),
                H11.plus(Duration.ofDays(1)));
    }

    @Test
    void requestsAreCountedPerSiteAndHourWithBytesErrorsAndUpstreamPercentiles() throws SQLException {
        UsageMeter meter = new UsageMeter(clock, 100);
        meter.ended(UsageDb.forwarded(a, 200, 100, 1000, 10, null));
        meter.ended(UsageDb.forwarded(a, 502, 0, 50, 20, "origin-unreachable"));
        meter.ended(UsageDb.forwarded(a, 200, 5, 7, 30, "client-gone")); // the visitor left: not the site's error
        meter.ended(UsageDb.forwarded(a, 500, 0, 9, 40, null)); // the site's own 500
        meter.ended(UsageDb.forwarded(b, 200, 1, 2, 1000, null));
        // not counted: never forwarded (refused by a gate, no record, ...), not a site request, no site
        RequestMeter refused = new RequestMeter("x", RequestMeter.Kind.SITE, 1);
        refused.site(a);
        refused.failure("over-quota");
        refused.end(429, 2);
        meter.ended(refused);
        RequestMeter record = new RequestMeter("y", RequestMeter.Kind.RECORD, 1);
        record.site(a);
        record.dialStart(1);
        record.end(200, 2);
        meter.ended(record);
        RequestMeter nameless = new RequestMeter("z", RequestMeter.Kind.SITE, 1);
        nameless.dialStart(1);
        nameless.end(400, 2);
        meter.ended(nameless);

        assertEquals(2, meter.flush(tables, "gw-a"));
        List<UsageRow> ra = rows(a);
        assertEquals(1, ra.size());
        UsageRow r = ra.get(0);
        assertEquals(a.toString(), r.site());
        assertEquals(H10, r.hourStart());
        assertEquals(4, r.requests());
        assertEquals(105, r.bytesIn());
        assertEquals(1066, r.bytesOut());
        assertEquals(2, r.errors());
        assertEquals(20, r.p50Ms(), 20 / 16.0);
        assertEquals(40, r.p99Ms(), 40 / 16.0);
        assertEquals(1, rows(b).get(0).requests());
        assertEquals(1000, rows(b).get(0).p50Ms(), 1000 / 16.0);
    }

    @Test
    void flushesAddToTheRowAndTheHourEndsAtItsBoundary() throws SQLException {
        UsageMeter meter = new UsageMeter(clock, 100);
        meter.ended(UsageDb.forwarded(a, 200, 0, 10, 10, null));
        meter.flush(tables, "gw-a");
        assertEquals(0, meter.flush(tables, "gw-a"), "nothing new: nothing written");
        meter.ended(UsageDb.forwarded(a, 200, 0, 10, 1000, null));
        meter.ended(UsageDb.forwarded(a, 200, 0, 10, 1000, null));
        meter.flush(tables, "gw-a");
        UsageRow r = rows(a).get(0);
        assertEquals(3, r.requests(), "added, not replaced");
        assertEquals(30, r.bytesOut());
        assertEquals(1000, r.p50Ms(), 1000 / 16.0, "percentiles of the whole hour so far, overwritten");

        clock.advance(Duration.ofSeconds(31)); // 11:00:01
        meter.ended(UsageDb.forwarded(a, 200, 0, 7, 5, null));
        assertEquals(2, meter.hoursHeld());
        meter.flush(tables, "gw-a");
        assertEquals(1, meter.hoursHeld(), "the ended hour had nothing new: forgotten");
        List<UsageRow> ra = rows(a);
        assertEquals(2, ra.size());
        assertEquals(H10, ra.get(0).hourStart());
        assertEquals(3, ra.get(0).requests());
        assertEquals(H11, ra.get(1).hourStart());
        assertEquals(1, ra.get(1).requests());
        assertEquals(7, ra.get(1).bytesOut());
        // a request ending just before the hour's end, counted after the roll by a late observer thread,
        // still lands in its hour as long as the hour is held
    }

    @Test
    void twoGatewaysWritingTheSameSiteAndHourAddUpInQueries() throws SQLException {
        UsageMeter one = new UsageMeter(clock, 100);
        UsageMeter two = new UsageMeter(clock, 100);
        for (int i = 0; i < 30; i++) {
            one.ended(UsageDb.forwarded(a, 200, 1, 100, 10, null));
        }
        for (int i = 0; i < 10; i++) {
            two.ended(UsageDb.forwarded(a, 503, 2, 200, 100, "origin-timeout"));
        }
        one.flush(tables, "gw-one");
        two.flush(tables, "gw-two");
        two.flush(tables, "gw-two");
        List<UsageRow> ra = rows(a);
        assertEquals(1, ra.size(), "one row per site and hour, all gateways together");
        UsageRow r = ra.get(0);
        assertEquals(40, r.requests());
        assertEquals(50, r.bytesIn());
        assertEquals(5000, r.bytesOut());
        assertEquals(10, r.errors());
        // p50: the medians weighted by requests (30 x 10 ms, 10 x 100 ms) = 32.5 ms; p99: the highest
        assertEquals((30 * LatencyHistogram.middleMicros(LatencyHistogram.index(10_000))
                + 10 * LatencyHistogram.middleMicros(LatencyHistogram.index(100_000))) / 40 / 1000, r.p50Ms(), 1e-9);
        assertEquals(100, r.p99Ms(), 100 / 16.0);
        assertEquals(2, countRows(), "each gateway its own row");
    }

    int countRows() throws SQLException {
        try (Connection c = ds.getConnection(); var s = c.createStatement();
                var rs = s.executeQuery("SELECT COUNT(*) FROM ipnslink_usage")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void aFailedWriteLosesNothingAndCountsNothingTwice() throws SQLException {
        AtomicBoolean down = new AtomicBoolean(true);
        UsageTables flaky = new UsageTables(failing(ds, down));
        UsageMeter meter = new UsageMeter(clock, 100);
        meter.ended(UsageDb.forwarded(a, 200, 0, 10, 10, null));
        assertThrows(SQLException.class, () -> meter.flush(flaky, "gw-a"));
        meter.ended(UsageDb.forwarded(a, 200, 0, 10, 10, null));
        assertThrows(SQLException.class, () -> meter.flush(flaky, "gw-a"));
        assertEquals(Map.of(a.toString(), 20L), meter.unflushedVolumes(H10, H11));
        down.set(false);
        meter.flush(flaky, "gw-a");
        meter.flush(flaky, "gw-a");
        assertEquals(2, rows(a).get(0).requests());
        assertEquals(20, rows(a).get(0).bytesOut());
        assertEquals(Map.of(), meter.unflushedVolumes(H10, H11));
    }

    /** {@code ds}, but every connection fails while {@code down}. */
    static DataSource failing(DataSource ds, AtomicBoolean down) {
        return (DataSource) Proxy.newProxyInstance(UsageMeterTest.class.getClassLoader(), new Class<?>[] {DataSource.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("getConnection") && down.get()) {
                        throw new SQLException("database down (test)");
                    }
                    try {
                        return method.invoke(ds, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void aFloodOfSitesIsBoundedPerHourAndTheRestAddsUpUnderOther() throws SQLException {
        UsageMeter meter = new UsageMeter(clock, 50);
        long out = 0;
        for (int i = 0; i < 1000; i++) {
            meter.ended(UsageDb.forwarded(Sites.Site.generate().name(), 200, 0, i, 1, null));
            out += i;
            assertTrue(meter.sitesIn(T0) <= 50);
        }
        assertEquals(50, meter.sitesIn(T0));
        assertEquals(950, meter.overflowed());
        assertEquals(51, meter.flush(tables, "gw-a"));
        List<UsageRow> all = rows(null);
        assertEquals(51, all.size());
        assertEquals(1000, all.stream().mapToLong(UsageRow::requests).sum(), "no request lost");
        assertEquals(out, all.stream().mapToLong(UsageRow::bytesOut).sum());
        UsageRow other = all.stream().filter(r -> r.site().equals(UsageMeter.OTHER)).findFirst().orElseThrow();
        assertEquals(950, other.requests());
        // the next hour has a bound of its own
        clock.advance(Duration.ofMinutes(1));
        meter.ended(UsageDb.forwarded(a, 200, 0, 1, 1, null));
        assertEquals(1, meter.sitesIn(clock.instant()));
        meter.flush(tables, "gw-a");
        meter.flush(tables, "gw-a");
        assertEquals(1, meter.hoursHeld(), "the flooded hour is gone from memory");
    }

    @Test
    void whileTheDatabaseIsDownTheHoursHeldAreBounded() throws SQLException {
        UsageMeter meter = new UsageMeter(clock, 10);
        UsageTables down = new UsageTables(failing(ds, new AtomicBoolean(true)));
        for (int i = 0; i < UsageMeter.MAX_HOURS_HELD + 10; i++) {
            meter.ended(UsageDb.forwarded(a, 200, 0, 1, 1, null));
            assertThrows(SQLException.class, () -> meter.flush(down, "gw-a"));
            assertTrue(meter.hoursHeld() <= UsageMeter.MAX_HOURS_HELD);
            clock.advance(Duration.ofHours(1));
        }
        assertEquals(10, meter.droppedHours());
        meter.flush(tables, "gw-a");
        List<UsageRow> written = queries.usage(a.toString(), T0.minus(Duration.ofDays(30)), T0.plus(Duration.ofDays(30)));
        assertEquals(UsageMeter.MAX_HOURS_HELD, written.size(), "the newest hours are written");
        assertEquals(H10.plus(Duration.ofHours(10)), written.get(0).hourStart(), "the 10 oldest were dropped");
    }

    @Test
    void percentilesAreNullWhenNoUpstreamTimeWasMeasured() throws SQLException {
        UsageMeter meter = new UsageMeter(clock, 10);
        RequestMeter m = new RequestMeter("r", RequestMeter.Kind.SITE, 5);
        m.site(a);
        m.firstByte(6); // forwarded (first byte), but no dial start: no upstream time
        m.end(200, 7);
        meter.ended(m);
        meter.flush(tables, "gw-a");
        assertNull(rows(a).get(0).p50Ms());
        assertNull(rows(a).get(0).p99Ms());
        assertEquals(1, rows(a).get(0).requests());
        String csv = queries.csv(a.toString(), H10, H11);
        assertTrue(csv.endsWith(",1,0,0,0,,\r\n"), csv);
    }
}
