package io.ipnslink.filter.usage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * The usage table read back, for the admin API, its CSV export and charts: rows per site and hour,
 * all gateways of the cluster added up (each gateway writes its own rows: {@link UsageMeter}).
 * Requests, bytes and errors are sums; p50 is the gateways' medians weighted by their requests and
 * p99 the highest of the gateways' (percentiles of separate histograms do not add up exactly: both
 * are approximations, documented in docs/quotas.md).
 */
public final class UsageQueries {
    /** Most rows one query returns (a year of one site is 8,784). */
    public static final int MAX_ROWS = 100_000;
    /** The CSV header line (without its CRLF). */
    public static final String CSV_HEADER = "site,hour_start,requests,bytes_in,bytes_out,errors,p50_ms,p99_ms";

    private final DataSource dataSource;

    public UsageQueries(DataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /**
     * The hours of {@code site} in {@code [from, to)} (hours starting at or after {@code from},
     * before {@code to}), oldest first, at most {@link #MAX_ROWS}.
     *
     * @param site an IPNS name as stored ({@code k51...}), or null for every site (ordered by hour, then site)
     * @throws IllegalArgumentException when {@code to} is not after {@code from}
     */
    public List<UsageRow> usage(String site, Instant from, Instant to) throws SQLException {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        if (!to.isAfter(from)) {
            throw new IllegalArgumentException("the end of the period must be after its start");
        }
        String sql = "SELECT site, hour_start, SUM(requests), SUM(bytes_in), SUM(bytes_out), SUM(errors),"
                + " SUM(p50_ms * requests) / NULLIF(SUM(CASE WHEN p50_ms IS NULL THEN 0 ELSE requests END), 0),"
                + " MAX(p99_ms) FROM ipnslink_usage WHERE hour_start >= ? AND hour_start < ?"
                + (site == null ? "" : " AND site = ?") + " GROUP BY site, hour_start ORDER BY hour_start, site";
        List<UsageRow> rows = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setQueryTimeout(UsageTables.QUERY_TIMEOUT_SECONDS);
            s.setMaxRows(MAX_ROWS);
            s.setObject(1, UsageTables.hour(from));
            s.setObject(2, UsageTables.hour(to));
            if (site != null) {
                s.setString(3, site);
            }
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    double p50 = rs.getDouble(7);
                    Double p50Ms = rs.wasNull() ? null : p50;
                    double p99 = rs.getDouble(8);
                    Double p99Ms = rs.wasNull() ? null : p99;
                    rows.add(new UsageRow(rs.getString(1), UsageTables.instant(rs.getObject(2, LocalDateTime.class)),
                            rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6), p50Ms, p99Ms));
                }
            }
        }
        return rows;
    }

    /** The rows of {@link #usage} as CSV text. */
    public String csv(String site, Instant from, Instant to) throws SQLException {
        StringBuilder b = new StringBuilder();
        try {
            csv(usage(site, from, to), b);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringBuilder does not throw
        }
        return b.toString();
    }

    /**
     * Writes {@code rows} as CSV (RFC 4180): the header {@link #CSV_HEADER}, one line per row, CRLF
     * line ends, a field quoted (quotes doubled) when it holds a comma, a quote, CR or LF; hours as
     * ISO-8601 UTC ({@code 2026-12-05T06:00:00Z}); an unknown percentile as an empty field.
     */
    public static void csv(List<UsageRow> rows, Appendable out) throws IOException {
        out.append(CSV_HEADER).append("\r\n");
        for (UsageRow r : rows) {
            out.append(field(r.site())).append(',')
                    .append(r.hourStart().truncatedTo(ChronoUnit.SECONDS).toString()).append(',')
                    .append(Long.toString(r.requests())).append(',')
                    .append(Long.toString(r.bytesIn())).append(',')
                    .append(Long.toString(r.bytesOut())).append(',')
                    .append(Long.toString(r.errors())).append(',')
                    .append(millis(r.p50Ms())).append(',')
                    .append(millis(r.p99Ms())).append("\r\n");
        }
    }

    /** Writes the CSV of {@link #usage} to {@code out} (a servlet's writer). */
    public void csv(String site, Instant from, Instant to, Writer out) throws SQLException, IOException {
        csv(usage(site, from, to), out);
    }

    private static String millis(Double v) {
        return v == null ? "" : String.format(Locale.ROOT, "%.3f", v);
    }

    /** One CSV field (RFC 4180): quoted, with quotes doubled, when it holds a comma, a quote, CR or LF. */
    static String field(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\r') < 0 && s.indexOf('\n') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
