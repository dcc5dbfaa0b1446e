package io.ipnslink.filter.usage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.StringWriter;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

class UsageQueriesTest {
    static final Instant H = Instant.parse("2026-12-05T06:00:00Z");

    @Test
    void csvFollowsRfc4180() throws Exception {
        StringWriter w = new StringWriter();
        UsageQueries.csv(List.of(
                new UsageRow("k51plain", H, 3, 10, 20, 1, 12.5, 99.0),
                new UsageRow("with,comma", H, 1, 0, 0, 0, null, null),
                new UsageRow("with \"quote\"", H.plusSeconds(3600), 0, 0, 0, 0, 0.0001, 1.0),
                new UsageRow("line\r\nbreak", H, 0, 0, 0, 0, null, null)), w);
        assertEquals(UsageQueries.CSV_HEADER + "\r\n"
                + "k51plain,2026-12-05T06:00:00Z,3,10,20,1,12.500,99.000\r\n"
                + "\"with,comma\",2026-12-05T06:00:00Z,1,0,0,0,,\r\n"
                + "\"with \"\"quote\"\"\",2026-12-05T07:00:00Z,0,0,0,0,0.000,1.000\r\n"
                + "\"line\r\nbreak\",2026-12-05T06:00:00Z,0,0,0,0,,\r\n", w.toString());
        assertEquals("site,hour_start,requests,bytes_in,bytes_out,errors,p50_ms,p99_ms", UsageQueries.CSV_HEADER);
    }

    @Test
    void queriesSumOverGatewaysWithinTheHalfOpenPeriod() throws SQLException {
        DataSource ds = UsageDb.fresh();
        new UsageTables(ds).create();
        UsageDb.usageRow(ds, "k51a", H, "g1", 1, 10, 100);
        UsageDb.usageRow(ds, "k51a", H, "g2", 2, 20, 200);
        UsageDb.usageRow(ds, "k51a", H.plusSeconds(3600), "g1", 4, 40, 400);
        UsageDb.usageRow(ds, "k51b", H, "g1", 8, 80, 800);
        UsageQueries q = new UsageQueries(ds);
        List<UsageRow> a = q.usage("k51a", H, H.plusSeconds(3600));
        assertEquals(List.of(new UsageRow("k51a", H, 3, 30, 300, 0, null, null)), a, "the end is not included");
        assertEquals(2, q.usage("k51a", H, H.plusSeconds(7200)).size());
        List<UsageRow> all = q.usage(null, H, H.plusSeconds(7200));
        assertEquals(List.of("k51a", "k51b", "k51a"), all.stream().map(UsageRow::site).toList(), "by hour, then site");
        assertEquals(List.of(), q.usage("k51zzz", H, H.plusSeconds(7200)));
        assertThrows(IllegalArgumentException.class, () -> q.usage("k51a", H, H));
        assertEquals(UsageQueries.CSV_HEADER + "\r\nk51b,2026-12-05T06:00:00Z,8,80,800,0,,\r\n",
                q.csv("k51b", H, H.plusSeconds(3600)));
    }

    @Test
    void tablesAreCreatedOnceAndTheSameStatementOfTheAdminPartIsHarmless() throws SQLException {
        DataSource ds = UsageDb.fresh();
        UsageDb.sql(ds, UsageTables.QUOTAS_DDL); // the admin part was first
        UsageDb.quota(ds, "site", "k51x", 1.5, 3, 99L);
        new UsageTables(ds).create();
        new UsageTables(ds).create(); // and again: a restart, a second gateway
        List<UsageTables.QuotaRow> rows = new UsageTables(ds).quotas(msg -> { });
        assertEquals(List.of(new UsageTables.QuotaRow("site", "k51x", new Quota(1.5, 3, 99L))), rows);
    }

    @Test
    void quotaRowsWithNegativeValuesOrUnknownScopesAreSkipped() throws SQLException {
        DataSource ds = UsageDb.fresh();
        new UsageTables(ds).create();
        UsageDb.quota(ds, "site", "k51neg", -1.0, null, null);
        UsageDb.quota(ds, "planet", "earth", 1.0, null, null);
        UsageDb.quota(ds, "site", "not a name", 1.0, null, null);
        UsageDb.quota(ds, "tenant", "acme", null, null, 5L);
        QuotaBook book = new QuotaBook(new UsageTables(ds), Quota.NONE, java.time.Clock.systemUTC());
        book.reloadQuotas();
        assertEquals(java.util.Map.of(), book.snapshot().sites());
        assertEquals(java.util.Map.of("acme", new Quota(null, null, 5L)), book.snapshot().tenants());
    }
}
