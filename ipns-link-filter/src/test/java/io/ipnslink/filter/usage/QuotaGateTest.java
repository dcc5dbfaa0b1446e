package io.ipnslink.filter.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.filter.errors.RefusedException;
import io.ipnslink.filter.pipeline.RequestMeter;
import io.ipnslink.filter.pipeline.SiteRequest;
import io.ipnslink.filter.testing.MutableClock;
import io.ipnslink.filter.testing.Sites;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class QuotaGateTest {
    static final Instant NOW = Instant.parse("2026-11-30T22:30:00Z");
    final MutableClock clock = new MutableClock(NOW);
    final IpnsName a = Sites.Site.generate().name();
    final IpnsName b = Sites.Site.generate().name();
    final AtomicInteger gateways = new AtomicInteger(1);
    DataSource ds;
    UsageTables tables;
    QuotaBook book;
    UsageMeter meter;
    QuotaGate gate;

    @BeforeEach
    void setUp() throws SQLException {
        start(Quota.NONE, QuotaGate.DEFAULT_MAX_TRACKED);
    }

    void start(Quota defaults, int maxTracked) throws SQLException {
        ds = UsageDb.fresh();
        tables = new UsageTables(ds);
        tables.create();
        book = new QuotaBook(tables, defaults, clock);
        meter = new UsageMeter(clock, 100);
        gate = new QuotaGate(book, gateways::get, clock, maxTracked);
    }

    void refresh() throws SQLException {
        book.reloadQuotas();
        book.refreshVolumes(r -> meter.unflushedVolumes(r[0], r[1]));
    }

    RequestMeter meter() {
        return new RequestMeter("r", RequestMeter.Kind.SITE, System.nanoTime());
    }

    RefusedException check(IpnsName name, RequestMeter m) {
        return gate.check(new SiteRequest(name, null, "/", "gw.example", "198.51.100.1", "r"), m);
    }

    RefusedException check(IpnsName name) {
        RequestMeter m = meter();
        RefusedException r = check(name, m);
        m.end(200, System.nanoTime());
        return r;
    }

    @Test
    void noQuotaLetsEverythingThrough() throws SQLException {
        refresh();
        for (int i = 0; i < 1000; i++) {
            assertNull(check(a));
        }
        assertEquals(0, gate.tracked());
    }

    @Test
    void requestsPerSecondAreATokenBucketSharedOutAmongTheGateways() throws SQLException {
        UsageDb.quota(ds, "site", a.toString(), 4.0, null, null);
        refresh();
        for (int i = 0; i < 4; i++) {
            assertNull(check(a), "a burst of one second's worth");
        }
        RefusedException r = check(a);
        assertNotNull(r);
        assertEquals(RefusedException.Kind.OVER_QUOTA, r.kind());
        assertEquals(429, r.kind().status());
        assertEquals(Duration.ofMillis(250), r.retryAfter());
        assertTrue(r.getMessage().contains("requests per second"), r.getMessage());
        assertNull(check(b), "another site is not limited");
        clock.advance(Duration.ofMillis(250));
        assertNull(check(a));
        assertNotNull(check(a));
        // two gateways: each allows half
        gateways.set(2);
        clock.advance(Duration.ofSeconds(10));
        assertNull(check(a));
        assertNull(check(a));
        assertEquals(Duration.ofMillis(500), check(a).retryAfter());
        // a site-scope row in another text form of the name counts too; 0 cuts the site off
        UsageDb.sql(ds, "UPDATE ipnslink_quotas SET requests_per_second = 0");
        refresh();
        assertEquals(QuotaGate.CUT_OFF_RETRY_AFTER, check(a).retryAfter());
    }

    @Test
    void streamsAreCountedUntilTheRequestEnded() throws SQLException {
        UsageDb.quota(ds, "site", a.toBase58(), null, 2, null); // the base58 form names the same site
        refresh();
        RequestMeter one = meter();
        RequestMeter two = meter();
        assertNull(check(a, one));
        assertNull(check(a, two));
        assertEquals(2, gate.inProgress(a));
        RefusedException r = check(a);
        assertNotNull(r);
        assertEquals(Duration.ofSeconds(1), r.retryAfter());
        assertTrue(r.getMessage().contains("in progress"), r.getMessage());
        one.end(502, System.nanoTime()); // however it ended
        assertEquals(1, gate.inProgress(a));
        assertNull(check(a));
        two.end(0, System.nanoTime());
        assertEquals(0, gate.inProgress(a));
        assertEquals(0, gate.streamEntries(), "no entry kept for a site with nothing in progress");
        // three gateways sharing 2 streams: at least one each
        gateways.set(3);
        RequestMeter m = meter();
        assertNull(check(a, m));
        assertNotNull(check(a));
        m.end(200, System.nanoTime());
        assertEquals(1, QuotaGate.share(2, 3));
        assertEquals(2, QuotaGate.share(3, 2));
        assertEquals(0, QuotaGate.share(0, 2));
    }

    @Test
    void bytesPerMonthCountEveryGatewayAndUnflushedUsageAndResetWithTheMonth() throws SQLException {
        UsageDb.quota(ds, "site", a.toString(), null, null, 10_000L);
        Instant hour = NOW.minus(Duration.ofDays(3)).truncatedTo(java.time.temporal.ChronoUnit.HOURS);
        UsageDb.usageRow(ds, a.toString(), hour, "gw-one", 10, 1000, 5000);
        UsageDb.usageRow(ds, a.toString(), hour, "gw-two", 10, 0, 3000);
        UsageDb.usageRow(ds, a.toString(), Instant.parse("2026-10-31T23:00:00Z"), "gw-one", 10, 0, 99_999); // last month
        UsageDb.usageRow(ds, b.toString(), hour, "gw-one", 10, 0, 99_999); // another site
        refresh();
        assertEquals(9000, book.monthVolume(a));
        assertNull(check(a), "9,000 of 10,000 bytes used");
        meter.ended(UsageDb.forwarded(a, 200, 0, 1000, 1, null)); // metered here, not yet written
        refresh();
        assertEquals(10_000, book.monthVolume(a));
        RefusedException r = check(a);
        assertNotNull(r);
        assertTrue(r.getMessage().contains("monthly data volume"), r.getMessage());
        assertEquals(Duration.between(NOW, Instant.parse("2026-12-01T00:00:00Z")), r.retryAfter(),
                "until the month ends");
        assertNull(check(b), "b has no quota");
        // written now: counted once, not twice
        meter.flush(tables, "gw-here");
        refresh();
        assertEquals(10_000, book.monthVolume(a));
        // the next month starts afresh
        clock.advance(Duration.ofHours(2));
        refresh();
        assertEquals(0, book.monthVolume(a));
        assertNull(check(a));
    }

    @Test
    void olderHoursAreSummedOnceAnHourAndRecentOnesEveryTime() throws SQLException {
        clock.advance(Duration.ofDays(-10)); // 2026-11-20T22:30
        UsageDb.quota(ds, "site", a.toString(), null, null, 1_000_000L);
        UsageDb.usageRow(ds, a.toString(), Instant.parse("2026-11-20T10:00:00Z"), "g", 1, 0, 100);
        refresh();
        assertEquals(100, book.monthVolume(a));
        UsageDb.usageRow(ds, a.toString(), Instant.parse("2026-11-20T21:00:00Z"), "g", 1, 0, 10); // previous hour
        UsageDb.usageRow(ds, a.toString(), Instant.parse("2026-11-20T22:00:00Z"), "g", 1, 0, 1); // this hour
        refresh();
        assertEquals(111, book.monthVolume(a));
        clock.advance(Duration.ofHours(1));
        refresh();
        assertEquals(111, book.monthVolume(a), "the hours move from the recent sum to the older one");
    }

    @Test
    void aDefaultQuotaAppliesToSitesWithoutARowOfTheirOwn() throws SQLException {
        start(new Quota(1.0, null, null), QuotaGate.DEFAULT_MAX_TRACKED);
        UsageDb.quota(ds, "site", b.toString(), null, null, null); // b: a row without limits
        refresh();
        assertNull(check(a));
        assertNotNull(check(a), "the default: one request per second");
        for (int i = 0; i < 20; i++) {
            assertNull(check(b), "b's own row says no limit");
        }
    }

    @Test
    void tenantQuotasLimitTheTenantsSitesTogether() throws SQLException {
        IpnsName c = Sites.Site.generate().name();
        book.tenantOf(n -> n.equals(a) || n.equals(b) ? Optional.of("acme") : Optional.empty());
        UsageDb.quota(ds, "tenant", "acme", 2.0, 1, 5000L);
        refresh();
        RequestMeter held = meter();
        assertNull(check(a, held));
        assertEquals(1, gate.inProgressOfTenant("acme"));
        RefusedException r = check(b);
        assertNotNull(r, "the tenant's one stream is taken by a");
        assertTrue(r.getMessage().contains("owner"), r.getMessage());
        held.end(200, System.nanoTime());
        assertEquals(0, gate.inProgressOfTenant("acme"));
        assertNotNull(check(b), "two requests per second for the tenant: the refused one took the second");
        clock.advance(Duration.ofSeconds(1));
        assertNull(check(b));
        for (int i = 0; i < 10; i++) {
            assertNull(check(c), "a site of no tenant");
        }
        // bytes of the tenant's sites add up
        UsageDb.usageRow(ds, a.toString(), NOW.truncatedTo(java.time.temporal.ChronoUnit.HOURS), "g", 1, 0, 3000);
        UsageDb.usageRow(ds, b.toString(), NOW.truncatedTo(java.time.temporal.ChronoUnit.HOURS), "g", 1, 0, 2000);
        refresh();
        clock.advance(Duration.ofSeconds(5));
        RefusedException month = check(a);
        assertNotNull(month);
        assertTrue(month.getMessage().contains("owner") && month.getMessage().contains("monthly"), month.getMessage());
        assertNull(check(c));
        // a site's own quota and its tenant's both apply; a tenant lookup that fails is no tenant
        book.tenantOf(n -> {
            throw new IllegalStateException("directory down");
        });
        assertNull(check(a));
    }

    @Test
    void aFloodOfNamesKeepsTheBucketsBoundedAndForgetsFullOnesFirst() throws SQLException {
        start(new Quota(1.0, null, null), 100);
        refresh();
        List<IpnsName> names = new ArrayList<>();
        for (int i = 0; i < 99; i++) {
            names.add(Sites.Site.generate().name());
            assertNull(check(names.get(i)));
        }
        clock.advance(Duration.ofSeconds(5)); // those buckets have filled up again
        assertNull(check(a));
        assertNotNull(check(a), "a is at its limit");
        assertNull(check(b)); // the 101st bucket: the full ones go
        assertTrue(gate.tracked() <= 100);
        assertNotNull(check(a), "a's bucket was not full: kept, a stays limited");
        for (int i = 0; i < 2000; i++) {
            check(Sites.Site.generate().name());
            assertTrue(gate.tracked() <= 100, "buckets: " + gate.tracked());
        }
        assertTrue(gate.forgotten() >= 1900);
    }
}
