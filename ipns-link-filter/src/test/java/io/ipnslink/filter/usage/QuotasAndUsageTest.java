package io.ipnslink.filter.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.filter.errors.RefusedException;
import io.ipnslink.filter.pipeline.ClusterEvents;
import io.ipnslink.filter.pipeline.ClusterView;
import io.ipnslink.filter.pipeline.RequestMeter;
import io.ipnslink.filter.pipeline.SiteRequest;
import io.ipnslink.filter.testing.MutableClock;
import io.ipnslink.filter.testing.Sites;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class QuotasAndUsageTest {
    final MutableClock clock = MutableClock.startingNow();
    final IpnsName site = Sites.Site.generate().name();
    final UsageSettings settings = UsageSettings.defaults().withFlushInterval(Duration.ofHours(1));

    RefusedException check(QuotasAndUsage q) {
        RequestMeter m = new RequestMeter("r", RequestMeter.Kind.SITE, 1);
        RefusedException r = q.gate().check(new SiteRequest(site, null, "/", "h", "198.51.100.1", "r"), m);
        m.end(200, 2);
        return r;
    }

    @Test
    void aNoticeOnTheQuotaChannelReadsTheQuotasAtOnce() throws Exception {
        DataSource ds = UsageDb.fresh();
        ClusterEvents events = ClusterEvents.local();
        try (QuotasAndUsage q = QuotasAndUsage.start(settings, ds, "gw", events, ClusterView.SINGLE, clock)) {
            assertNull(check(q));
            UsageDb.quota(ds, "site", site.toString(), 0.0, null, null); // the admin API cuts the site off...
            events.publish(QuotasAndUsage.CHANNEL, "site " + site); // ...and says so
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (check(q) == null) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the notice did not make the quotas be read");
                }
                Thread.sleep(10);
            }
            assertNotNull(check(q));
        }
    }

    @Test
    void closeWritesWhatIsLeftAndADatabaseDownAtTheStartIsTriedAgain() throws Exception {
        DataSource real = UsageDb.fresh();
        AtomicBoolean down = new AtomicBoolean(true);
        DataSource ds = UsageMeterTest.failing(real, down);
        QuotasAndUsage q = QuotasAndUsage.start(settings, ds, "gw-1", ClusterEvents.local(), ClusterView.SINGLE, clock);
        q.observer().orElseThrow().ended(UsageDb.forwarded(site, 200, 1, 2, 3, null));
        down.set(false);
        q.close();
        q.close(); // twice: nothing more
        Instant hour = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.HOURS);
        List<UsageRow> rows = new UsageQueries(real).usage(site.toString(), hour, hour.plus(Duration.ofHours(1)));
        assertEquals(1, rows.size());
        assertEquals(1, rows.get(0).requests());
        assertEquals(3, rows.get(0).bytesIn() + rows.get(0).bytesOut());
    }
}
