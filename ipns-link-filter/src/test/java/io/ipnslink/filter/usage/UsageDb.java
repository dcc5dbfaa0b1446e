package io.ipnslink.filter.usage;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.filter.pipeline.RequestMeter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;

/** An in-memory H2 database per test, and helpers that write the tables as the other parts do. */
final class UsageDb {
    private static final AtomicInteger N = new AtomicInteger();

    private UsageDb() {}

    static DataSource fresh() {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL("jdbc:h2:mem:usage" + N.incrementAndGet() + ";DB_CLOSE_DELAY=-1");
        ds.setUser("sa");
        return ds;
    }

    static void sql(DataSource ds, String sql) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** A quota row, as the admin API writes it (null: no limit). */
    static void quota(DataSource ds, String scope, String subject, Double rps, Integer streams, Long bytes)
            throws SQLException {
        try (Connection c = ds.getConnection();
                PreparedStatement s = c.prepareStatement("INSERT INTO ipnslink_quotas VALUES (?, ?, ?, ?, ?)")) {
            s.setString(1, scope);
            s.setString(2, subject);
            s.setObject(3, rps);
            s.setObject(4, streams);
            s.setObject(5, bytes);
            s.executeUpdate();
        }
    }

    /** A usage row as another gateway wrote it. */
    static void usageRow(DataSource ds, String site, Instant hour, String gateway, long requests, long in, long out)
            throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement s = c.prepareStatement(
                "INSERT INTO ipnslink_usage VALUES (?, ?, ?, ?, ?, ?, 0, NULL, NULL)")) {
            s.setString(1, site);
            s.setObject(2, UsageTables.hour(hour));
            s.setString(3, gateway);
            s.setLong(4, requests);
            s.setLong(5, in);
            s.setLong(6, out);
            s.executeUpdate();
        }
    }

    /**
     * A site request that was forwarded and ended: {@code upstreamMs} from the dial's start to the
     * end, with {@code in}/{@code out} body bytes.
     */
    static RequestMeter forwarded(IpnsName site, int status, long in, long out, long upstreamMs, String failure) {
        long start = 1_000_000_000L;
        RequestMeter m = new RequestMeter("r", RequestMeter.Kind.SITE, start);
        m.site(site);
        m.dialStart(start + 1000);
        m.firstByte(start + 2000);
        m.addBytesIn(in);
        m.addBytesOut(out);
        if (failure != null) {
            m.failure(failure);
        }
        m.end(status, start + 1000 + upstreamMs * 1_000_000L);
        return m;
    }
}
