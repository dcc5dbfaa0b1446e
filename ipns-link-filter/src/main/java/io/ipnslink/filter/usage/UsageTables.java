package io.ipnslink.filter.usage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * The two tables of quotas and usage, in the record store's database (H2 or PostgreSQL; plain SQL
 * that both understand):
 * <ul>
 *   <li>{@code ipnslink_quotas}: written by the admin API, read here ({@link #QUOTAS_DDL}; created
 *       here too when it does not exist yet, with the same statement);</li>
 *   <li>{@code ipnslink_usage}: one row per site, hour and gateway, written here
 *       ({@link #USAGE_DDL}). Each gateway writes only its own rows (the {@code gateway} column),
 *       so a row has one writer and "add to the row" is an {@code UPDATE ... SET x = x + ?}
 *       followed by an {@code INSERT} when no row was there, in one transaction, on any database.</li>
 * </ul>
 * Hours are {@code TIMESTAMP} values in UTC (the start of the hour). Every statement has a query
 * timeout ({@link #QUERY_TIMEOUT_SECONDS}).
 */
final class UsageTables {
    static final String QUOTAS_DDL = "CREATE TABLE IF NOT EXISTS ipnslink_quotas (scope VARCHAR(8), subject VARCHAR(128),"
            + " requests_per_second DOUBLE PRECISION NULL, max_streams INT NULL, bytes_per_month BIGINT NULL,"
            + " PRIMARY KEY(scope, subject))";
    static final String USAGE_DDL = "CREATE TABLE IF NOT EXISTS ipnslink_usage (site VARCHAR(128), hour_start TIMESTAMP,"
            + " gateway VARCHAR(64), requests BIGINT, bytes_in BIGINT, bytes_out BIGINT, errors BIGINT,"
            + " p50_ms DOUBLE PRECISION, p99_ms DOUBLE PRECISION, PRIMARY KEY(site, hour_start, gateway))";
    /** The month's volumes are read by hour: an index on the hour keeps that from scanning every site's history. */
    static final String USAGE_HOUR_INDEX = "CREATE INDEX IF NOT EXISTS ipnslink_usage_hour ON ipnslink_usage (hour_start)";
    /** Longest wait of one statement. */
    static final int QUERY_TIMEOUT_SECONDS = 10;
    /** Most quota rows read (the rest are ignored, with a warning). */
    static final int MAX_QUOTA_ROWS = 100_000;
    /** Most sites whose month volume is read. */
    static final int MAX_VOLUME_SITES = 1_000_000;
    /** Longest site name stored (the column's size); longer ones are cut (they never are: names are ~62 characters). */
    static final int SITE_COLUMN = 128;
    static final int GATEWAY_COLUMN = 64;

    private final DataSource dataSource;

    UsageTables(DataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    DataSource dataSource() {
        return dataSource;
    }

    /**
     * Creates both tables (and the hour index) unless they are there: {@link UsageSchema}, so that
     * gateways starting at once on one database do not race.
     */
    void create() throws SQLException {
        try {
            UsageSchema.migrations().apply(dataSource);
        } catch (io.ipnslink.routing.store.RecordStoreException e) {
            throw e.getCause() instanceof SQLException sql ? sql : new SQLException(e.getMessage(), e);
        }
    }

    /** What one site did in one hour on this gateway since the last write (counts) and so far (percentiles). */
    record Delta(String site, Instant hourStart, long requests, long bytesIn, long bytesOut, long errors, Double p50Ms,
            Double p99Ms) {}

    /**
     * Adds the deltas to this gateway's rows (creating them), and sets their percentiles (when
     * known), all in one transaction: either every delta is in the table afterwards or none.
     */
    void add(String gateway, List<Delta> deltas) throws SQLException {
        if (deltas.isEmpty()) {
            return;
        }
        try (Connection c = dataSource.getConnection()) {
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                int[] updated;
                try (PreparedStatement up = c.prepareStatement("UPDATE ipnslink_usage SET requests = requests + ?,"
                        + " bytes_in = bytes_in + ?, bytes_out = bytes_out + ?, errors = errors + ?,"
                        + " p50_ms = COALESCE(CAST(? AS DOUBLE PRECISION), p50_ms),"
                        + " p99_ms = COALESCE(CAST(? AS DOUBLE PRECISION), p99_ms)"
                        + " WHERE site = ? AND hour_start = ? AND gateway = ?")) {
                    up.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
                    for (Delta d : deltas) {
                        up.setLong(1, d.requests());
                        up.setLong(2, d.bytesIn());
                        up.setLong(3, d.bytesOut());
                        up.setLong(4, d.errors());
                        setDouble(up, 5, d.p50Ms());
                        setDouble(up, 6, d.p99Ms());
                        up.setString(7, d.site());
                        up.setObject(8, hour(d.hourStart()));
                        up.setString(9, gateway);
                        up.addBatch();
                    }
                    updated = up.executeBatch();
                }
                List<Delta> missing = new ArrayList<>();
                for (int i = 0; i < deltas.size(); i++) {
                    if (updated[i] == 0) {
                        missing.add(deltas.get(i));
                    }
                }
                if (!missing.isEmpty()) {
                    try (PreparedStatement in = c.prepareStatement("INSERT INTO ipnslink_usage (site, hour_start, gateway,"
                            + " requests, bytes_in, bytes_out, errors, p50_ms, p99_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                        in.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
                        for (Delta d : missing) {
                            in.setString(1, d.site());
                            in.setObject(2, hour(d.hourStart()));
                            in.setString(3, gateway);
                            in.setLong(4, d.requests());
                            in.setLong(5, d.bytesIn());
                            in.setLong(6, d.bytesOut());
                            in.setLong(7, d.errors());
                            setDouble(in, 8, d.p50Ms());
                            setDouble(in, 9, d.p99Ms());
                            in.addBatch();
                        }
                        in.executeBatch();
                    }
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(auto);
            }
        }
    }

    private static void setDouble(PreparedStatement s, int i, Double v) throws SQLException {
        if (v == null) {
            s.setNull(i, Types.DOUBLE);
        } else {
            s.setDouble(i, v);
        }
    }

    static LocalDateTime hour(Instant i) {
        return LocalDateTime.ofInstant(i, ZoneOffset.UTC);
    }

    static Instant instant(LocalDateTime t) {
        return t.toInstant(ZoneOffset.UTC);
    }

    /** Bytes in + out per site over all gateways for the hours in {@code [from, to)}. */
    Map<String, Long> volumes(Instant from, Instant to) throws SQLException {
        Map<String, Long> out = new HashMap<>();
        if (!from.isBefore(to)) {
            return out;
        }
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT site, SUM(bytes_in), SUM(bytes_out) FROM ipnslink_usage"
                        + " WHERE hour_start >= ? AND hour_start < ? GROUP BY site")) {
            s.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
            s.setMaxRows(MAX_VOLUME_SITES);
            s.setObject(1, hour(from));
            s.setObject(2, hour(to));
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getLong(2) + rs.getLong(3));
                }
            }
        }
        return out;
    }

    /** A row of {@code ipnslink_quotas} as read. */
    record QuotaRow(String scope, String subject, Quota quota) {}

    /** The rows of {@code ipnslink_quotas} (at most {@link #MAX_QUOTA_ROWS}); rows with negative values are skipped. */
    List<QuotaRow> quotas(java.util.function.Consumer<String> warn) throws SQLException {
        List<QuotaRow> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT scope, subject, requests_per_second, max_streams,"
                        + " bytes_per_month FROM ipnslink_quotas")) {
            s.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
            s.setMaxRows(MAX_QUOTA_ROWS + 1);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    if (out.size() == MAX_QUOTA_ROWS) {
                        warn.accept("ipnslink_quotas has more than " + MAX_QUOTA_ROWS + " rows; the rest are ignored");
                        break;
                    }
                    String scope = rs.getString(1);
                    String subject = rs.getString(2);
                    double rps = rs.getDouble(3);
                    Double rate = rs.wasNull() ? null : rps;
                    int st = rs.getInt(4);
                    Integer streams = rs.wasNull() ? null : st;
                    long b = rs.getLong(5);
                    Long bytes = rs.wasNull() ? null : b;
                    try {
                        out.add(new QuotaRow(scope, subject, new Quota(rate, streams, bytes)));
                    } catch (IllegalArgumentException e) {
                        warn.accept("quota of " + scope + " " + subject + " ignored: " + e.getMessage());
                    }
                }
            }
        }
        return out;
    }
}
