package io.ipnslink.filter.tenants;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin audit log (table {@code ipnslink_audit}): who (token id or certificate subject, client
 * address), what, when. Bounded: entries older than the retention and beyond the most kept are
 * deleted by {@link #prune} (run with each reload of the directory). Fields are cut to their
 * column sizes; no secret is ever written (the token is named by a short hash).
 */
public final class AuditLog {
    /** Most entries one listing returns. */
    public static final int MAX_PAGE = 1000;
    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);

    private final DataSource ds;
    private final Clock clock;
    private final Duration retention;
    private final int maxEntries;

    public AuditLog(DataSource ds, Clock clock, Duration retention, int maxEntries) {
        this.ds = Objects.requireNonNull(ds, "ds");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.retention = Objects.requireNonNull(retention, "retention");
        this.maxEntries = maxEntries;
    }

    /** Writes one entry; a failure is logged, never thrown (the change itself was made). */
    public void record(String actor, String client, String action, String subject, String detail) {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("INSERT INTO "
                + TenantSchema.AUDIT + " (at_ms, actor, client, action, subject, detail) VALUES (?, ?, ?, ?, ?, ?)")) {
            ps.setLong(1, clock.instant().toEpochMilli());
            ps.setString(2, cut(actor, 300));
            ps.setString(3, cut(client, 64));
            ps.setString(4, cut(action, 64));
            ps.setString(5, cut(subject, 300));
            ps.setString(6, cut(detail, 1000));
            ps.executeUpdate();
        } catch (SQLException e) {
            LOG.warn("audit log: could not record {} {} by {}: {}", action, subject, actor, e.toString());
        }
    }

    /** The newest entries first, at most {@code limit}, older than id {@code before} when it is positive. */
    public List<AuditEntry> list(int limit, long before) {
        int n = Math.max(1, Math.min(limit, MAX_PAGE));
        String sql = "SELECT id, at_ms, actor, client, action, subject, detail FROM " + TenantSchema.AUDIT
                + (before > 0 ? " WHERE id < ?" : "") + " ORDER BY id DESC";
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            if (before > 0) {
                ps.setLong(1, before);
            }
            ps.setMaxRows(n);
            List<AuditEntry> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new AuditEntry(rs.getLong(1), Instant.ofEpochMilli(rs.getLong(2)), rs.getString(3),
                            rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new TenantException(TenantException.Kind.UNAVAILABLE, "the database failed: " + e.getMessage(), e);
        }
    }

    /** Deletes entries older than the retention, then the oldest beyond the most kept; returns how many. */
    public int prune() {
        try (Connection c = ds.getConnection()) {
            int deleted;
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + TenantSchema.AUDIT + " WHERE at_ms < ?")) {
                ps.setLong(1, clock.instant().minus(retention).toEpochMilli());
                deleted = ps.executeUpdate();
            }
            long newestToDrop = -1;
            try (PreparedStatement ps = c.prepareStatement("SELECT id FROM " + TenantSchema.AUDIT
                    + " ORDER BY id DESC OFFSET ? ROWS FETCH FIRST 1 ROWS ONLY")) {
                ps.setInt(1, maxEntries);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        newestToDrop = rs.getLong(1);
                    }
                }
            }
            if (newestToDrop >= 0) {
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + TenantSchema.AUDIT + " WHERE id <= ?")) {
                    ps.setLong(1, newestToDrop);
                    deleted += ps.executeUpdate();
                }
            }
            return deleted;
        } catch (SQLException e) {
            LOG.warn("audit log: pruning failed: {}", e.toString());
            return 0;
        }
    }

    private static String cut(String s, int max) {
        if (s == null) {
            return null;
        }
        return s.length() <= max ? s : s.substring(0, max);
    }
}
